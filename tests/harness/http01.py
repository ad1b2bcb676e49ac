"""A tiny HTTP server answering ACME HTTP-01 challenges on a loopback port."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHALLENGE_PREFIX = "/.well-known/acme-challenge/"


class Http01TokenServer:
    """Serves `tokens` (token -> key authorization) and, when given, files from `web_root`.

    Use as a context manager; add tokens to `.tokens` while it runs. Every path asked
    for is appended to `.requested_paths`.
    """

    def __init__(self, port: int, tokens: dict | None = None, web_root=None, host="127.0.0.1"):
        self.host = host
        self.port = port
        self.tokens = dict(tokens or {})
        self.web_root = Path(web_root) if web_root else None
        self.requested_paths: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def content_for(self, path: str) -> str | None:
        if not path.startswith(CHALLENGE_PREFIX):
            return None
        token = path.removeprefix(CHALLENGE_PREFIX)
        if token in self.tokens:
            return self.tokens[token]
        if self.web_root and "/" not in token and token not in ("", ".", ".."):
            file = self.web_root / CHALLENGE_PREFIX.strip("/") / token
            if file.is_file():
                return file.read_text()
        return None

    def start(self) -> "Http01TokenServer":
        token_server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                token_server.requested_paths.append(self.path)
                content = token_server.content_for(self.path)
                body = (content if content is not None else "not found").encode()
                self.send_response(200 if content is not None else 404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="http01-token-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> "Http01TokenServer":
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
