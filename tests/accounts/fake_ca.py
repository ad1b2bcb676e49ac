"""A tiny ACME-shaped HTTP server for the retry layer's tests: it serves a directory
and nonces, and answers each POST from a script of canned answers, recording what it
received. Real sockets and real HTTP, no mock of the acme library. `Redirector`
answers every GET with a redirect, for the outbound guard's tests."""

import base64
import itertools
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class CannedAnswer:
    status: int
    body: dict | str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def problem(status: int, code: str, detail: str, **headers) -> CannedAnswer:
    body = {"type": f"urn:ietf:params:acme:error:{code}", "detail": detail}
    return CannedAnswer(status, body, {"Content-Type": "application/problem+json", **headers})


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def jws_protected_header(self) -> dict:
        protected = json.loads(self.body)["protected"]
        return json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))


class FakeCa:
    """Answers POST /account from `script` (then 201 with an account), records all."""

    def __init__(
        self,
        directory: dict | None = None,
        *,
        host: str = "127.0.0.1",
        tls_files: tuple[Path, Path, Path] | None = None,
    ):
        """`tls_files` (ca, cert, key as tests.harness.tls writes them) serve https."""
        self.script: list[CannedAnswer] = []
        self.get_answers: dict[str, CannedAnswer] = {}  # by path
        self.received: list[ReceivedRequest] = []
        self._nonces = itertools.count(1)
        self._directory = directory
        self.server = ThreadingHTTPServer((host, 0), self._handler_class())
        scheme = "http"
        if tls_files:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_files[1], tls_files[2])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://{host}:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def directory_url(self) -> str:
        return self.url + "/directory"

    def directory(self) -> dict:
        if self._directory is not None:
            return self._directory
        return {
            "newNonce": self.url + "/nonce",
            "newAccount": self.url + "/account",
            "newOrder": self.url + "/order",
            "meta": {"termsOfService": self.url + "/terms"},
        }

    def posts(self) -> list[ReceivedRequest]:
        return [request for request in self.received if request.method == "POST"]

    def next_nonce(self) -> str:
        return base64.urlsafe_b64encode(f"nonce-{next(self._nonces)}".encode()).decode().rstrip("=")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()

    def _handler_class(self):
        ca = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                ca.received.append(
                    ReceivedRequest(
                        self.command, self.path, dict(self.headers), self.rfile.read(length)
                    )
                )

            def _answer(self, answer: CannedAnswer, *, with_body=True):
                body = answer.body
                payload = (json.dumps(body) if isinstance(body, dict) else body or "").encode()
                self.send_response(answer.status)
                headers = {"Content-Type": "application/json", **answer.headers}
                headers.setdefault("Replay-Nonce", ca.next_nonce())
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if with_body:
                    self.wfile.write(payload)

            def do_HEAD(self):
                self._record()
                self._answer(CannedAnswer(200), with_body=False)

            def do_GET(self):
                self._record()
                if self.path.endswith("/directory"):
                    self._answer(CannedAnswer(200, ca.directory()))
                elif self.path in ca.get_answers:
                    self._answer(ca.get_answers[self.path])
                else:
                    self._answer(
                        CannedAnswer(404, "<html>not here</html>", {"Content-Type": "text/html"})
                    )

            def do_POST(self):
                self._record()
                if ca.script:
                    self._answer(ca.script.pop(0))
                    return
                account = {"status": "valid", "contact": []}
                self._answer(CannedAnswer(201, account, {"Location": ca.url + "/acct/1"}))

        return Handler


class Redirector(FakeCa):
    """Answers every GET with 302 to `location`, recording what it received."""

    def __init__(self, location: str, *, host: str = "127.0.0.1"):
        self.location = location
        super().__init__(host=host)

    def _handler_class(self):
        redirector = self
        handler = super()._handler_class()

        class RedirectHandler(handler):
            def do_GET(self):
                self._record()
                self._answer(CannedAnswer(302, "", {"Location": redirector.location}))

        return RedirectHandler
