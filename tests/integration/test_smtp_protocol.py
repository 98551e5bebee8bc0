"""DATA-phase edge cases of the receiver's chunked reader, over raw sockets."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kustos.sources.smtp import JournalReceiver, Spool, address_map_resolver
from tests.servers.smtp import JOURNAL_ADDRESS, RunningReceiver

pytestmark = pytest.mark.smtp


class RawSession:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith(b"220")
        self.command(b"EHLO client.test")

    def reply(self) -> bytes:
        lines = []
        while True:
            line = self.file.readline()
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    def command(self, line: bytes) -> bytes:
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def send_message(self, stuffed: bytes, after: bytes = b"") -> bytes:
        assert self.command(b"MAIL FROM:<a@contoso.example>").startswith(b"250")
        assert self.command(b"RCPT TO:<" + JOURNAL_ADDRESS.encode() + b">").startswith(b"250")
        assert self.command(b"DATA").startswith(b"354")
        self.sock.sendall(stuffed + after)
        return self.reply()

    def close(self) -> None:
        self.sock.close()


def spooled(receiver: RunningReceiver) -> list[bytes]:
    return sorted((data for _envelope, data in Spool(receiver.spool_dir).iter_all()), key=len)


@pytest.mark.parametrize(
    ("stuffed", "content"),
    [
        (b".\r\n", b""),  # empty message: the marker is the first line
        (b"Subject: x\r\n\r\nRegards.\r\n.\r\n", b"Subject: x\r\n\r\nRegards.\r\n"),
        (b"..leading dot\r\n...two\r\nmid.dle\r\n..\r\n.\r\n", b".leading dot\r\n..two\r\nmid.dle\r\n.\r\n"),
        (b"no final newline?.\r\n.\r\n", b"no final newline?.\r\n"),
        (b"bare\nlf.\n.\r\n.\r\n", b"bare\nlf.\n.\r\n"),  # only CRLF.CRLF ends the data
        (b"x\r\n\r\n.\r\n", b"x\r\n\r\n"),
        (b"\r\n.\r\n", b"\r\n"),
    ],
)
def test_data_unstuffing_and_end_marker(journal_receiver: RunningReceiver, stuffed: bytes, content: bytes) -> None:
    session = RawSession(journal_receiver.port)
    assert session.send_message(stuffed).startswith(b"250")
    assert session.command(b"QUIT").startswith(b"221")
    assert spooled(journal_receiver) == [content]


def test_large_message_crosses_reader_chunks(make_receiver: Callable[..., RunningReceiver]) -> None:
    receiver = make_receiver(max_bytes=2_000_000)
    line = b"x" * 70 + b"." + b"\r\n"  # many ".\r\n" lookalikes that are not the marker
    body = b"Subject: big\r\n\r\n" + line * 15000 + b"z" + b"." * 70000 + b"\r\n"  # one 70 KB line
    session = RawSession(receiver.port)
    assert session.send_message(body + b".\r\n").startswith(b"250")
    assert spooled(receiver) == [body]


def test_oversize_then_next_transaction_on_same_connection(journal_receiver: RunningReceiver) -> None:
    session = RawSession(journal_receiver.port)
    huge = b"Subject: huge\r\n\r\n" + (b"y" * 998 + b"\r\n") * 300 + b".\r\n"
    assert session.send_message(huge).startswith(b"552")
    assert session.send_message(b"Subject: small\r\n\r\nok\r\n.\r\n").startswith(b"250")
    assert spooled(journal_receiver) == [b"Subject: small\r\n\r\nok\r\n"]


def test_pipelined_quit_after_marker_is_not_swallowed(journal_receiver: RunningReceiver) -> None:
    session = RawSession(journal_receiver.port)
    assert session.send_message(b"Subject: p\r\n\r\nbody\r\n.\r\n", after=b"QUIT\r\n").startswith(b"250")
    assert session.reply().startswith(b"221")
    assert spooled(journal_receiver) == [b"Subject: p\r\n\r\nbody\r\n"]


def test_end_marker_split_across_packets(journal_receiver: RunningReceiver) -> None:
    session = RawSession(journal_receiver.port)
    assert session.command(b"MAIL FROM:<a@contoso.example>").startswith(b"250")
    assert session.command(b"RCPT TO:<" + JOURNAL_ADDRESS.encode() + b">").startswith(b"250")
    assert session.command(b"DATA").startswith(b"354")
    for part in (b"Subject: s\r\n\r\nbody\r", b"\n.", b"\r", b"\n"):
        session.sock.sendall(part)
        time.sleep(0.05)  # separate TCP segments: the marker straddles reads
    assert session.reply().startswith(b"250")
    assert spooled(journal_receiver) == [b"Subject: s\r\n\r\nbody\r\n"]


def test_one_transaction_for_two_customers_spools_one_copy_each(tmp_path: Path) -> None:
    resolver = address_map_resolver({"journal-a@archive.test": "A", "journal-b@archive.test": "B",
                                     "journal-a2@archive.test": "A"})
    receiver = JournalReceiver(tmp_path / "spool", resolver, port=0)
    receiver.start()
    try:
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client:
            refused = client.sendmail("a@contoso.example", ["journal-a@archive.test", "journal-b@archive.test",
                                                            "JOURNAL-A2@archive.test", "nobody@archive.test"],
                                      b"Subject: two\r\n\r\nx\r\n")
    finally:
        receiver.stop()
    assert list(refused) == ["nobody@archive.test"] and refused["nobody@archive.test"][0] == 550
    items = {envelope.customer: envelope.rcpt_tos for envelope, _data in Spool(tmp_path / "spool").iter_all()}
    assert items == {"A": ["journal-a@archive.test", "JOURNAL-A2@archive.test"], "B": ["journal-b@archive.test"]}
