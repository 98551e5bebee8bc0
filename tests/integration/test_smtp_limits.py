"""The receiver as an internet-facing server: connection limits per client and in total, idle
timeout, AUTH only when configured, STARTTLS, per-address allowed senders at RCPT."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from kustos.sources.smtp import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_PER_CLIENT,
    JournalReceiver,
    JournalTarget,
    Spool,
)
from tests.servers.smtp import AUTH_PASSWORD, AUTH_USER, JOURNAL_ADDRESS, RunningReceiver, swaks

pytestmark = pytest.mark.smtp


def connect(port: int, source: str = "127.0.0.1") -> tuple[socket.socket, bytes]:
    """A TCP connection from ``source`` and the first line the server sent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    return sock, sock.makefile("rb").readline()


def closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_idle_flood_from_one_client_leaves_room_for_others(journal_receiver: RunningReceiver) -> None:
    # Defaults: 20 connections per client IP.
    flood = [connect(journal_receiver.port) for _ in range(DEFAULT_MAX_PER_CLIENT)]
    try:
        assert all(greeting.startswith(b"220 ") for _, greeting in flood)
        other = swaks(journal_receiver.port, "--local-interface", "127.0.0.2", "--from", "a@contoso.example",
                      "--to", JOURNAL_ADDRESS, "--header", "Subject: from another host")
        assert other.returncode == 0, other.stdout
        assert "250 2.0.0 OK: queued" in other.stdout
        one_more, reply = connect(journal_receiver.port)
        assert reply.startswith(b"421 4.7.0 Too many connections from your host [127.0.0.1]"), reply
        assert closed_by_server(one_more, 5)
        one_more.close()
    finally:
        for sock, _ in flood:
            sock.close()
    ((envelope, _data),) = list(Spool(journal_receiver.spool_dir).iter_all())
    assert envelope.client_ip == "127.0.0.2" and envelope.authenticated is False
    # Slots are given back when connections close.
    deadline = time.monotonic() + 10
    while journal_receiver.receiver.limiter.open_connections("127.0.0.1") and time.monotonic() < deadline:
        time.sleep(0.05)
    again, greeting = connect(journal_receiver.port)
    assert greeting.startswith(b"220 ")
    again.close()


def test_total_connection_limit(make_receiver: Callable[..., RunningReceiver]) -> None:
    receiver = make_receiver(max_connections=3, max_connections_per_client=20)
    held = [connect(receiver.port, "127.0.0.1"), connect(receiver.port, "127.0.0.2"),
            connect(receiver.port, "127.0.0.3")]
    try:
        assert all(greeting.startswith(b"220 ") for _, greeting in held)
        sock, reply = connect(receiver.port, "127.0.0.4")
        assert reply.startswith(b"421 4.7.0 Too many connections to this server"), reply
        sock.close()
    finally:
        for sock, _ in held:
            sock.close()


def test_idle_connections_are_closed(make_receiver: Callable[..., RunningReceiver]) -> None:
    assert DEFAULT_IDLE_TIMEOUT <= 60
    receiver = make_receiver(timeout=1.0)
    sock, greeting = connect(receiver.port)
    assert greeting.startswith(b"220 ")
    assert closed_by_server(sock, 5)
    sock.close()


def test_slow_data_is_not_cut_by_the_idle_timeout(make_receiver: Callable[..., RunningReceiver]) -> None:
    receiver = make_receiver(timeout=1.0)
    sock, _ = connect(receiver.port)
    reader = sock.makefile("rb")

    def command(line: bytes) -> bytes:
        sock.sendall(line + b"\r\n")
        reply = reader.readline()
        while reply[3:4] == b"-":
            reply = reader.readline()
        return reply

    assert command(b"EHLO slow.test").startswith(b"250")
    assert command(b"MAIL FROM:<a@contoso.example>").startswith(b"250")
    assert command(b"RCPT TO:<" + JOURNAL_ADDRESS.encode() + b">").startswith(b"250")
    assert command(b"DATA").startswith(b"354")
    for i in range(5):  # 2.5 s of data in total, never idle for a second
        sock.sendall(b"line %d\r\n" % i)
        time.sleep(0.5)
    sock.sendall(b".\r\n")
    assert reader.readline().startswith(b"250 2.0.0")
    sock.close()


def test_auth_not_offered_without_credentials(journal_receiver: RunningReceiver) -> None:
    sock, _ = connect(journal_receiver.port)
    reader = sock.makefile("rb")
    sock.sendall(b"EHLO client.test\r\n")
    lines = [reader.readline()]
    while lines[-1][3:4] == b"-":
        lines.append(reader.readline())
    assert not any(line.startswith(b"250-AUTH") for line in lines), lines
    sock.sendall(b"AUTH PLAIN AHJlbGF5AHJlbGF5LXB3\r\n")
    assert reader.readline().startswith(b"502 5.5.1 AUTH is not available")
    sock.close()


def test_optional_auth_over_starttls_is_recorded(make_receiver: Callable[..., RunningReceiver]) -> None:
    receiver = make_receiver(auth=True, tls=True, auth_required=False)
    anonymous = swaks(receiver.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com", "-tls")
    assert anonymous.returncode == 0, anonymous.stdout
    assert "250-AUTH" not in anonymous.stdout.split("STARTTLS")[0]  # offered only after STARTTLS
    assert "250-AUTH" in anonymous.stdout.split("STARTTLS")[-1]
    wrong = swaks(receiver.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com", "-tls",
                  "--auth", "PLAIN", "--auth-user", AUTH_USER, "--auth-password", "wrong")
    assert wrong.returncode != 0 and "535" in wrong.stdout
    good = swaks(receiver.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com", "-tls",
                 "--auth", "PLAIN", "--auth-user", AUTH_USER, "--auth-password", AUTH_PASSWORD)
    assert good.returncode == 0, good.stdout
    envelopes = sorted((env for env, _ in Spool(receiver.spool_dir).iter_all()), key=lambda e: e.authenticated)
    assert [(e.authenticated, e.auth_user, e.tls) for e in envelopes] == [(False, "", True), (True, AUTH_USER, True)]


def test_allowed_hosts_per_journaling_address(tmp_path) -> None:
    targets = {"journal-c1@archive.test": JournalTarget("c1", ("10.0.0.0/8",)),
               "journal-c2@archive.test": JournalTarget("c2", ("127.0.0.0/8",))}
    receiver = JournalReceiver(tmp_path / "spool", lambda rcpt: targets.get(rcpt.lower()), port=0,
                               hostname="archive.test")
    receiver.start()
    try:
        refused = swaks(receiver.port, "--to", "journal-c1@archive.test", "--from", "a@example.com")
        assert refused.returncode != 0
        assert ("550 5.7.1 <journal-c1@archive.test>: Recipient address rejected: client host [127.0.0.1] "
                "is not allowed to deliver to this journaling address") in refused.stdout
        accepted = swaks(receiver.port, "--to", "journal-c2@archive.test", "--from", "a@example.com")
        assert accepted.returncode == 0, accepted.stdout
    finally:
        receiver.stop()
    ((envelope, _data),) = list(Spool(tmp_path / "spool").iter_all())
    assert envelope.customer == "c2"
