"""The journaling receiver driven by swaks: plain, AUTH, STARTTLS, limits, Exchange reports."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from kustos.sources.journal_report import unwrap_journal
from kustos.sources.smtp import Spool
from tests.servers.smtp import AUTH_PASSWORD, AUTH_USER, JOURNAL_ADDRESS, MAX_BYTES, RunningReceiver, swaks
from tests.unit.sources_mail.journal_samples import ORIGINAL, build_report

pytestmark = pytest.mark.smtp


def spooled(receiver: RunningReceiver) -> list[tuple[object, bytes]]:
    return list(Spool(receiver.spool_dir).iter_all())


def test_plain_journal_mail_is_spooled_with_envelope(journal_receiver: RunningReceiver) -> None:
    result = swaks(journal_receiver.port, "--from", "alice@contoso.example", "--to", JOURNAL_ADDRESS,
                   "--header", "Subject: plain journal", "--body", "line one\nline two")
    assert result.returncode == 0, result.stdout
    assert "250 2.0.0 OK: queued" in result.stdout
    ((envelope, data),) = spooled(journal_receiver)
    assert envelope.customer == "c1" and envelope.mail_from == "alice@contoso.example"  # type: ignore[attr-defined]
    assert envelope.rcpt_tos == [JOURNAL_ADDRESS] and envelope.peer.startswith("127.0.0.1:")  # type: ignore[attr-defined]
    assert b"Subject: plain journal\r\n" in data and b"line one\r\nline two\r\n" in data


def test_unknown_recipient_rejected_at_rcpt(journal_receiver: RunningReceiver) -> None:
    result = swaks(journal_receiver.port, "--to", "someone-else@archive.test", "--from", "a@example.com")
    assert result.returncode != 0
    assert "550 5.1.1 <someone-else@archive.test>" in result.stdout
    assert "DATA" not in result.stdout.split("550 5.1.1")[1]  # rejected before any data was sent
    assert spooled(journal_receiver) == []


def test_oversize_answered_552(journal_receiver: RunningReceiver, tmp_path: Path) -> None:
    body = tmp_path / "big.txt"
    body.write_text(("x" * 100 + "\n") * (MAX_BYTES // 100 + 10))
    result = swaks(journal_receiver.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com", "--body", f"@{body}")
    assert result.returncode != 0 and "552" in result.stdout
    assert spooled(journal_receiver) == []


def test_auth_required_and_checked(make_receiver: Callable[..., RunningReceiver]) -> None:
    receiver = make_receiver(auth=True, tls=True, auth_require_tls=True)
    no_auth = swaks(receiver.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com")
    assert no_auth.returncode != 0 and "530" in no_auth.stdout
    wrong = swaks(receiver.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com", "-tls",
                  "--auth", "PLAIN", "--auth-user", AUTH_USER, "--auth-password", "nope")
    assert wrong.returncode != 0 and "535" in wrong.stdout
    good = swaks(receiver.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com", "-tls",
                 "--auth", "LOGIN", "--auth-user", AUTH_USER, "--auth-password", AUTH_PASSWORD)
    assert good.returncode == 0, good.stdout
    ((envelope, _data),) = spooled(receiver)
    assert envelope.auth_user == AUTH_USER and envelope.tls is True  # type: ignore[attr-defined]


def test_ip_allow_list(make_receiver: Callable[..., RunningReceiver]) -> None:
    receiver = make_receiver(allowed_networks=["10.0.0.0/8"])
    denied = swaks(receiver.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com")
    assert denied.returncode != 0 and "550 5.7.1" in denied.stdout
    allowed = make_receiver(allowed_networks=["127.0.0.0/8", "::1"])
    assert swaks(allowed.port, "--to", JOURNAL_ADDRESS, "--from", "a@example.com").returncode == 0


def test_exchange_journal_report_unwrapped_byte_exact(journal_receiver: RunningReceiver, tmp_path: Path) -> None:
    report = build_report()
    message_file = tmp_path / "report.eml"
    message_file.write_bytes(report[:-2])  # swaks appends CRLF before the final "."
    result = swaks(journal_receiver.port, "--from", "", "--to", JOURNAL_ADDRESS, "--data", f"@{message_file}")
    assert result.returncode == 0, result.stdout
    ((envelope, data),) = spooled(journal_receiver)
    assert data == report  # spooled exactly as sent
    unwrapped = unwrap_journal(data, envelope.mail_from, envelope.rcpt_tos)  # type: ignore[attr-defined]
    assert unwrapped.kind == "exchange"
    assert hashlib.sha256(unwrapped.original).hexdigest() == hashlib.sha256(ORIGINAL).hexdigest()
    assert "dave@fabrikam.com" in unwrapped.recipients  # the BCC recipient is kept
    assert unwrapped.envelope_sender == "alice@contoso.com"
