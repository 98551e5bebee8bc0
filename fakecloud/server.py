"""HTTP front end: a stdlib ThreadingHTTPServer feeding requests to :class:`FakeCloud`."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fakecloud.app import FakeCloud
from fakecloud.web import Request, Streamed


class _Handler(BaseHTTPRequestHandler):
    server: FakeCloudServer
    protocol_version = "HTTP/1.1"
    # Buffer the whole answer and send it in one go (flushed by handle_one_request):
    # separate header/body writes meet Nagle + delayed ACK and cost ~40 ms per request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or self.server.base_url.removeprefix("http://")
        request = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                          {k.lower(): v for k, v in self.headers.items()}, body, base_url=f"http://{host}")
        response = self.server.cloud.handle(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        answer = response.body
        self.send_header("Content-Length", str(answer.length if isinstance(answer, Streamed) else len(answer)))
        self.end_headers()
        if isinstance(answer, Streamed):  # large downloads go out piece by piece
            for piece in answer.pieces:
                self.wfile.write(piece)
        else:
            self.wfile.write(answer)

    do_GET = _serve
    do_POST = _serve
    do_DELETE = _serve
    do_PATCH = _serve
    do_PUT = _serve

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Silence per-request logging (it would only clutter test output)."""


class FakeCloudServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0, cloud: FakeCloud | None = None) -> None:
        super().__init__((host, port), _Handler)
        self.host = host
        self.cloud = cloud or FakeCloud()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.server_port}"

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="fakecloud", daemon=True)
        thread.start()
        return thread
