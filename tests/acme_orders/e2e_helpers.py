"""Helpers of the issuance tests that run against Pebble, BIND9 and a real worker."""

import time

from cryptography import x509

from acme_orders import tasks
from acme_orders.actions import request_certificate
from acme_orders.models import CertificateRequest
from acme_orders.request_settings import RequestSettings
from certlife.celery import app

FINISHED = {"available", "failed", "saved"}
# A plain request: manual HTTP-01, an EC P-256 key, PEM.
REQUEST_DEFAULTS = {
    "challenge_type": "http-01",
    "key_algorithm": "EC",
    "key_size": 256,
    "signature_algorithm": "SHA256withECDSA",
    "keystore_type": "PEM",
}


def request_body(account, domains, **overrides) -> dict:
    """The body of POST /api/v1/requests/."""
    return {"account": account.pk, "domains": domains, **REQUEST_DEFAULTS, **overrides}


def new_request(account, actor, names, **overrides):
    """The same request made through the action, for tests that play the worker."""
    settings = RequestSettings(account=account, domains=names, **{**REQUEST_DEFAULTS, **overrides})
    return request_certificate(actor=actor, settings=settings)


# How long a test waits for work done elsewhere (a worker, the CA) before it fails:
# generous, as the machine may be busy with other suites; a passing test waits less.
PATIENCE_SECONDS = 180


class InProcessWorker:
    """Stands in for the Celery worker while a test runs: every advance step sent (by an
    action on commit, by the task itself, by the sweep) is recorded instead of sent, so
    no real worker, not even the session's, touches the request; `drive` runs the real
    task body one step at a time, as a worker would, sleeping the countdown each step
    asked for (capped). What the pipeline logs is logged in the test's process."""

    def __init__(self, monkeypatch):
        self.task = app.tasks[tasks.advance_certificate_request.name]
        self.countdowns: list[float] = []
        # On the task object itself, so the name imported by actions is covered too.
        monkeypatch.setattr(self.task, "apply_async", self._record)

    def _record(self, args=None, kwargs=None, countdown=0, **options):
        self.countdowns.append(countdown or 0)

    def drive(
        self, request_id, until=None, *, seconds: float = PATIENCE_SECONDS
    ) -> CertificateRequest:
        """Run steps until `until(request)` holds (default: finished), within `seconds`."""
        until = until or (lambda request: request.status in FINISHED)
        deadline = time.monotonic() + seconds
        request = None
        while time.monotonic() < deadline:
            self.countdowns.clear()
            self.task(request_id)
            request = CertificateRequest.objects.get(pk=request_id)
            if until(request):
                return request
            time.sleep(min([*self.countdowns, 0.5]))
        raise AssertionError(f"request {request_id} did not get there in {seconds} s: {request}")


def finished(body) -> bool:
    """An API answer whose request is issued or failed."""
    return body["status"] in ("available", "failed")


def wait_for_request(api, request_id, until, *, seconds: float = PATIENCE_SECONDS) -> dict:
    """Poll the API until `until(body)` holds; fail with the last body otherwise."""
    deadline = time.monotonic() + seconds
    body = {}
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/requests/{request_id}/").json()
        if until(body):
            return body
        time.sleep(0.3)
    raise AssertionError(f"request {request_id} did not get there in {seconds} s: {body}")


def challenges_published(body) -> bool:
    return body["status"] != "pending" or (
        body["challenges"] and all(c["status"] for c in body["challenges"])
    )


def chain_verifies(certificate_pem: str, chain_pem: str, root_pem: str) -> None:
    leaf = x509.load_pem_x509_certificate(certificate_pem.encode())
    chain = x509.load_pem_x509_certificates(chain_pem.encode())
    root = x509.load_pem_x509_certificate(root_pem.encode())
    issuer = leaf
    for certificate in [*chain, root]:
        issuer.verify_directly_issued_by(certificate)
        issuer = certificate


def san_names(certificate_pem: str) -> set[str]:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return set(extension.value.get_values_for_type(x509.DNSName))


class ForwardToLiveServer:
    """Listens where the CA connects for HTTP-01 and forwards each GET to certlife's
    live server, as a site's port 80 proxied to certlife would: with the Host the CA
    sent, the name being validated, which is not one of certlife's ALLOWED_HOSTS.

    Like a real proxy in front of a few web workers, it lets only a few requests through
    at once: Pebble validates a 100-name order all at once, and a live-server thread per
    request would open more PostgreSQL connections than the server allows."""

    MAX_CONCURRENT = 4

    def __init__(self, port: int, live_server_url: str):
        import http.server
        import threading

        import requests

        target = live_server_url
        slots = threading.BoundedSemaphore(self.MAX_CONCURRENT)

        class Forward(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                with slots:
                    answer = requests.get(
                        target + self.path,
                        headers={"Host": self.headers["Host"]},
                        timeout=30,
                        allow_redirects=False,
                    )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 128  # the CA's burst waits in the backlog, not refused

        self.server = Server(("127.0.0.1", port), Forward)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()


class ServeOnce(ForwardToLiveServer):
    """Serves `content` at `path` for the first request only, then 404: a site that
    breaks between our pre-flight check and the CA's validation."""

    def __init__(self, port: int, path: str, content: str):
        import http.server
        import threading

        served = []

        class Once(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                first = self.path == path and not served
                served.append(self.path)
                self.send_response(200 if first else 404)
                self.end_headers()
                self.wfile.write(content.encode() if first else b"gone")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Once)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


def orders_at_ca(account) -> list[str]:
    """Every order the CA holds for the account, asked of the CA itself (Pebble lists
    an account's orders, a few to a page)."""
    from accounts.acme_client import acme_client_for

    client = acme_client_for(account)
    page = post_as_get(client, account.account_url).json()["orders"]
    urls = []
    while page:
        response = post_as_get(client, page)
        urls += response.json()["orders"]
        page = response.links.get("next", {}).get("url")
    return urls


def post_as_get(client, url: str):
    """A POST-as-GET with the account's client, through the gateway."""
    from accounts.acme import gateway

    return gateway.fetch_resource(client, url)


class CaGatedTokenServer:
    """Serves HTTP-01 tokens on `port`, but treats the CA's validation requests (Pebble's
    VA says so in its User-Agent) apart from certlife's own pre-flight check: tokens in
    `refused_to_ca` answer the CA 404, tokens in `held_for_ca` keep the CA waiting until
    `release` is set (at most `hold_seconds`). Any other request is answered at once."""

    CA_USER_AGENT = "LetsEncrypt-Pebble-VA"

    def __init__(self, port: int, hold_seconds: float = 120):
        import http.server
        import threading

        self.tokens: dict[str, str] = {}
        self.refused_to_ca: set[str] = set()
        self.held_for_ca: set[str] = set()
        self.release = threading.Event()
        self.requested_paths: list[str] = []  # every request, the CA's and ours
        self.ca_requests: list[str] = []
        gate = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                token = self.path.rsplit("/", 1)[-1]
                content = gate.tokens.get(token)
                gate.requested_paths.append(self.path)
                if gate.CA_USER_AGENT in self.headers.get("User-Agent", ""):
                    gate.ca_requests.append(self.path)
                    if token in gate.held_for_ca:
                        gate.release.wait(hold_seconds)
                    if token in gate.refused_to_ca:
                        content = None
                body = (content or "not found").encode()
                self.send_response(200 if content else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def publish(self, request) -> None:
        for challenge in request.challenges.exclude(token=""):
            self.tokens[challenge.token] = challenge.key_authorization

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def secret_fragments(key_pem: str) -> list[str]:
    """What of a private key could show in a log: its PEM's base64 lines, and the
    private value as a JWK writes it ("d")."""
    import josepy as jose
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_pem.encode(), None)
    jwk = jose.JWKEC(key=key) if hasattr(key, "curve") else jose.JWKRSA(key=key)
    lines = [line for line in key_pem.splitlines() if line and not line.startswith("-----")]
    return [*lines, jwk.to_partial_json()["d"]]


class ScheduledSteps:
    """Stands in for the advance task while the test plays the worker (monkeypatch it
    over `acme_orders.tasks.advance_certificate_request`): what the pipeline enqueues is
    recorded in `sent` as (request id, countdown), not sent, and `run` is the real task
    body, called in-process."""

    def __init__(self):
        from acme_orders import tasks

        self.run = tasks.advance_certificate_request
        self.sent: list[tuple[int, float]] = []

    def apply_async(self, args, countdown=0, **options):
        self.sent.append((args[0], countdown))

    def delay(self, request_id, *args):
        self.sent.append((request_id, 0))


def issue_manually(worker: InProcessWorker, pebble, request, *, actor) -> CertificateRequest:
    """Drive a manual HTTP-01 `request` to Available in this process, as a person would:
    wait for its challenges, serve the tokens on Pebble's HTTP-01 port, Verify."""
    from acme_orders.actions import verify_request

    def has_challenges(current) -> bool:
        return current.status != "pending" or (
            bool(current.order_url) and current.challenges.exists()
        )

    request = worker.drive(request.pk, until=has_challenges)
    tokens = {c.token: c.key_authorization for c in request.challenges.exclude(token="")}
    with pebble.http01_server(tokens=tokens):
        # Names the CA already holds valid authorizations for need no Verify.
        if request.status == "pending" and not request.verify_requested:
            verify_request(request, actor=actor)
        request = worker.drive(request.pk)
    assert request.status == "available", (request.status, request.error)
    return request
