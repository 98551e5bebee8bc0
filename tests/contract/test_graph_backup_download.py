"""The file download stream against a real local HTTP server: a connection that breaks mid-body is
resumed with ``Range`` where it stopped, an expired URL (401) is replaced by a fresh one, a 429
waits Retry-After, and a download that never progresses ends in a clear error."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kustos.sources.base import ConnectorError
from kustos.sources.graph.backup.download import stream_download
from kustos.sources.http import HttpClient, KeyedLimiter, SharedPause

CONTENT = bytes(range(256)) * 12_000  # ~3 MB


class Server:
    def __init__(self) -> None:
        self.script: list[str] = []  # what the next requests get: "break", "401", "429", "ok"
        self.ranges: list[str] = []
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                owner.paths.append(self.path)
                owner.ranges.append(self.headers.get("Range", ""))
                action = owner.script.pop(0) if owner.script else "ok"
                if action in ("401", "429"):
                    self.send_response(int(action))
                    if action == "429":
                        self.send_header("Retry-After", "0.2")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.startswith("/dead"):
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = int(self.headers.get("Range", "bytes=0-")[6:].rstrip("-") or 0)
                body = CONTENT[start:]
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(CONTENT) - 1}/{len(CONTENT)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if action == "break":
                    self.wfile.write(body[:700_000])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    served = Server()
    yield served
    served.httpd.shutdown()


def client() -> HttpClient:
    return HttpClient(limiter=KeyedLimiter(4), pause=SharedPause(), timeout=10)


def test_a_broken_connection_resumes_with_range(server: Server) -> None:
    server.script = ["break", "break"]
    data = b"".join(stream_download(client(), "u1", server.url + "/file", len(CONTENT), lambda: server.url + "/new",
                                    chunk_size=64 * 1024))
    assert hashlib.sha256(data).digest() == hashlib.sha256(CONTENT).digest()
    assert server.ranges[0] == "" and server.ranges[1].startswith("bytes=") and server.ranges[1] != "bytes=0-"
    assert len(server.ranges) == 3 and int(server.ranges[2][6:-1]) > int(server.ranges[1][6:-1])
    assert server.paths == ["/file"] * 3  # a broken connection keeps the URL


def test_an_expired_url_is_replaced_and_a_429_waited(server: Server) -> None:
    http = client()
    fresh: list[str] = []

    def renew() -> str:
        fresh.append("x")
        return server.url + "/fresh"

    server.script = ["429"]
    data = b"".join(stream_download(http, "u1", server.url + "/dead", len(CONTENT), renew))
    assert data == CONTENT
    assert server.paths == ["/dead", "/dead", "/fresh"] and len(fresh) == 1
    assert http.waits == [0.2]


def test_a_download_that_never_progresses_is_a_clear_error(server: Server) -> None:
    with pytest.raises(ConnectorError, match="failed 8 times in a row at byte 0"):
        b"".join(stream_download(client(), "u1", server.url + "/dead", len(CONTENT), lambda: server.url + "/dead"))


def test_expired_urls_are_renewed_while_every_slot_of_the_owner_is_busy(server: Server) -> None:
    """With one slot per owner (the worst case of four parallel downloads expiring at once) asking
    Graph for a fresh URL takes a slot of its own: the download must not hold one meanwhile."""
    http = HttpClient(limiter=KeyedLimiter(1), pause=SharedPause(), timeout=10)

    def renew() -> str:
        with http.limiter.slot("u1"):  # what ``OneDriveService._fresh_url`` does (``get_json(..., key=owner)``)
            return server.url + "/fresh"

    result: list[bytes] = []
    worker = threading.Thread(target=lambda: result.append(
        b"".join(stream_download(http, "u1", server.url + "/dead", len(CONTENT), renew))), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the download deadlocked on its own concurrency slot"
    assert result == [CONTENT]
    assert server.paths == ["/dead", "/fresh"]
