"""A configured RFC 3161 TSA URL: seal over HTTP, verify, export evidence."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kustos.vault.backends.memory import MemoryBackend
from kustos.vault.factory import open_vault
from kustos.vault.ledger.tsa import LocalTSA, RemoteTSA, TimestampError, verify_token
from tests.unit.vault.vault_helpers import SMALL, mail, make_settings

SERVER_TSA = LocalTSA(MemoryBackend(), bytes(32))


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.headers["Content-Type"] == "application/timestamp-query"
        answer = SERVER_TSA.respond(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def tsa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()


def test_remote_tsa_stamps_and_verifies(tsa_url: str) -> None:
    token = RemoteTSA(tsa_url).timestamp(b"root bytes")
    verify_token(token, b"root bytes", SERVER_TSA.certificates()[1])  # type: ignore[index]
    with pytest.raises(TimestampError, match="other data"):
        verify_token(token, b"other bytes")


def test_vault_with_tsa_url_seals_through_it(tmp_path: Path, tsa_url: str) -> None:
    vault = open_vault(make_settings(tmp_path, tsa_url=tsa_url), SMALL)
    store = vault.store("acme")
    res = store.put(mail(1), "mail")
    store.commit()
    evidence = store.ledger.proof(res.id)
    assert evidence.check() and evidence.tsa_label == f"RFC 3161 TSA {tsa_url}"
    assert evidence.certificates is None  # an external TSA's chain comes from the TSA itself
    files = {p.name for p in evidence.export(tmp_path / "ev")}
    assert {"token.tsr", "root.bin", "proof.json"} <= files and "ca.pem" not in files
    assert vault.verify().ok
    assert not (tmp_path / "vault" / "system" / "tsa").exists()  # no local TSA was created


def test_unreachable_tsa_fails_clearly() -> None:
    with pytest.raises(TimestampError, match="TSA http://127.0.0.1:9/ failed"):
        RemoteTSA("http://127.0.0.1:9/", timeout=2).timestamp(b"x")
