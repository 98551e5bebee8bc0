"""STARTTLS and implicit TLS with a test certificate, LOGIN refused before TLS for clients off
loopback, and the bounds every hostile client meets (lines, literals, failed logins, connections)."""

from __future__ import annotations

import asyncio
import datetime as dt
import imaplib
import ipaddress
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kustos.imapd.backend import AuthError
from kustos.imapd.limits import AuthThrottle, Limits
from kustos.imapd.service import tls_context
from kustos.imapd.session import Session
from tests.integration.imapd.conftest import ALICE, PASSWORD, World, start_server


def make_cert(directory: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.DNSName("127.0.0.1"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "imap.crt", directory / "imap.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_server(world: World, tmp_path):
    cert, key = make_cert(tmp_path)
    server = start_server(tls_context=tls_context(cert, key), tls_port=0)
    client_ctx = ssl.create_default_context(cafile=cert)
    yield server, client_ctx
    server.stop()


def test_starttls_with_a_test_certificate(world: World, tls_server):
    server, client_ctx = tls_server
    imap = imaplib.IMAP4("localhost", server.port, timeout=30)
    assert "STARTTLS" in imap.capabilities
    typ, _ = imap.starttls(ssl_context=client_ctx)
    assert typ == "OK"
    assert imap.sock.version() in ("TLSv1.2", "TLSv1.3")
    imap.login(ALICE, PASSWORD)
    typ, data = imap.select("INBOX", readonly=True)
    assert typ == "OK" and int(data[0]) == 3
    imap.logout()


def test_implicit_tls_port(world: World, tls_server):
    server, client_ctx = tls_server
    imap = imaplib.IMAP4_SSL("localhost", server.tls_port, ssl_context=client_ctx, timeout=30)
    assert "STARTTLS" not in imap.capabilities
    imap.login(ALICE, PASSWORD)
    assert imap.select("INBOX", readonly=True)[0] == "OK"
    imap.logout()


def test_no_certificate_means_loopback_only(world: World):
    from kustos.imapd.server import IMAPServer  # noqa: PLC0415  (the class under test, not a fixture)

    server = IMAPServer(object(), host="0.0.0.0", port=0)  # type: ignore[arg-type]
    assert server.host == "127.0.0.1" and server.loopback_only


class _Recorder:
    def __init__(self) -> None:
        self.out = bytearray()

    async def send(self, data: bytes) -> None:
        self.out += data


class _NeverAuthenticates:
    def __init__(self) -> None:
        self.calls = 0

    def login(self, username, password, client):
        self.calls += 1
        raise AuthError("wrong user name or password")

    def failed(self, username, client, reason):
        pass


def _session(loopback: bool, secure: bool, auth=None, throttle=None) -> tuple[Session, _Recorder]:
    rec = _Recorder()

    async def call(fn, *args):
        return fn(*args)

    async def read_line():
        return b"DONE\r\n"

    session = Session(authenticator=auth or _NeverAuthenticates(), client="203.0.113.9", loopback=loopback,
                      throttle=throttle or AuthThrottle(Limits(failure_delay=0.0)), tls_available=True,
                      secure=secure, call=call, send=rec.send, read_line=read_line)
    return session, rec


def test_login_is_refused_before_tls_off_loopback():
    auth = _NeverAuthenticates()
    session, rec = _session(loopback=False, secure=False, auth=auth)
    asyncio.run(session.handle(b"a CAPABILITY\r\n"))
    assert b"LOGINDISABLED" in rec.out and b"STARTTLS" in rec.out and b"AUTH=PLAIN" not in rec.out
    asyncio.run(session.handle(b"b LOGIN alice secret\r\n"))
    asyncio.run(session.handle(b"c AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"))
    assert rec.out.count(b"NO [PRIVACYREQUIRED]") == 2
    assert auth.calls == 0  # the password was never even checked
    secure, rec = _session(loopback=False, secure=True)
    asyncio.run(secure.handle(b"a CAPABILITY\r\n"))
    assert b"AUTH=PLAIN" in rec.out and b"LOGINDISABLED" not in rec.out


def test_failed_logins_lock_the_user_and_address_pair():
    throttle = AuthThrottle(Limits(failure_delay=0.0, failures_before_lock=5))
    auth = _NeverAuthenticates()
    for _ in range(2):
        session, rec = _session(loopback=True, secure=False, auth=auth, throttle=throttle)
        for i in range(3):
            try:
                asyncio.run(session.handle(f"t{i} LOGIN alice wrong\r\n".encode()))
            except Exception as exc:  # the third failure ends the connection
                assert type(exc).__name__ == "Closing"
    assert auth.calls == 5  # the sixth attempt is refused without checking the password
    assert b"[UNAVAILABLE]" in rec.out
    assert not throttle.locked("bob", "203.0.113.9") and not throttle.locked("alice", "198.51.100.1")


def _raw(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert sock.recv(1000).startswith(b"* OK")
    return sock


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_long_lines_large_literals_and_connection_limits(world: World):
    server = start_server(limits=Limits(failure_delay=0.0, max_line=1024, max_literal=100,
                                        max_connections_per_client=3))
    try:
        sock = _raw(server.port)
        sock.sendall(b"a " + b"X" * 5000 + b"\r\n")
        assert b"* BYE line too long" in _read_until(sock, b"\r\n")
        sock.close()
        sock = _raw(server.port)
        sock.sendall(b"a LOGIN {1000}\r\n")
        assert b"a BAD literal too large" in _read_until(sock, b"\r\n")
        sock.sendall(b"b LOGIN {5000+}\r\n" + b"Y" * 5000)  # a non-synchronising literal beyond the bound
        assert b"* BYE literal too large" in _read_until(sock, b"\r\n")
        sock.close()
        held = [_raw(server.port) for _ in range(3)]
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        assert extra.recv(1000).startswith(b"* BYE too many connections from your address")
        extra.close()
        for s in held:
            s.close()
    finally:
        server.stop()


def test_idle_timeout_before_login(world: World):
    server = start_server(limits=Limits(failure_delay=0.0, login_timeout=0.5))
    try:
        sock = _raw(server.port)
        assert b"* BYE idle for too long" in _read_until(sock, b"\r\n")
        sock.close()
    finally:
        server.stop()


def test_plaintext_injected_after_starttls_ends_the_connection(world: World, tls_server):
    server, _ = tls_server
    sock = _raw(server.port)
    sock.sendall(b"a STARTTLS\r\nb LOGIN alice@kunde.example x\r\n")  # the second command before the handshake
    reply = _read_until(sock, b"\r\n")
    assert reply.startswith(b"a OK")
    assert sock.recv(1000) == b""  # closed: nothing sent in clear text passes as protected
    sock.close()


def test_idle_until_done(world: World):
    sock = _raw(world.port)
    sock.sendall(b"a LOGIN alice@kunde.example " + PASSWORD.encode() + b"\r\n")
    assert b"a OK" in _read_until(sock, b"a OK")
    sock.sendall(b"b IDLE\r\n")
    assert _read_until(sock, b"\r\n").startswith(b"+ idling")
    sock.sendall(b"DONE\r\n")
    assert b"b OK IDLE terminated" in _read_until(sock, b"b OK")
    sock.sendall(b"c LOGOUT\r\n")
    assert b"* BYE" in _read_until(sock, b"c OK")
    sock.close()
