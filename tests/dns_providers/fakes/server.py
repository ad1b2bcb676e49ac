"""A small threaded HTTP server that hands each request to a fake API object."""

import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class FakeResponse:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


class LineUp:
    """Makes the next `parties` callers of `wait()` wait for one another, as requests
    that reach a server at the same moment; later callers pass straight through."""

    TIMEOUT_SECONDS = 10.0

    def __init__(self):
        self._lock = threading.Lock()
        self._barrier: threading.Barrier | None = None
        self._left = 0

    def arm(self, parties: int) -> None:
        with self._lock:
            self._barrier = threading.Barrier(parties, timeout=self.TIMEOUT_SECONDS)
            self._left = parties

    def wait(self) -> int | None:
        """This caller's place among the parties (0 to n - 1), or None if not held."""
        with self._lock:
            if not self._left:
                return None
            self._left -= 1
            barrier = self._barrier
        # A party that never comes breaks the barrier: answer anyway, the test then fails.
        with contextlib.suppress(threading.BrokenBarrierError):
            return barrier.wait()
        return None


class FakeApi:
    """Subclasses implement `handle(request) -> FakeResponse`. `fail_next(status, n)`
    makes the next n requests fail as an overloaded API would."""

    def __init__(self):
        self.requests: list[FakeRequest] = []
        self.injected_failures: list[int] = []

    def fail_next(self, status: int, times: int = 1):
        self.injected_failures += [status] * times

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        self.requests.append(request)
        if self.injected_failures:
            return FakeResponse(self.injected_failures.pop(0), self.failure_body())
        return self.handle(request)

    def failure_body(self):
        return {"message": "service unavailable"}

    def handle(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError


class FakeApiServer:
    def __init__(self, api: FakeApi, ssl_context=None):
        self.api = api
        handler = _handler_for(api)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        scheme = "http"
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler_for(api: FakeApi):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self):
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = FakeRequest(
                method=self.command,
                path=split.path,
                query={key: values[-1] for key, values in parse_qs(split.query).items()},
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            response = api.dispatch(request)
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format, *args):
            pass

    return Handler
