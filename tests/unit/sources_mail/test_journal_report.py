"""Exchange/Microsoft 365 journal reports and plain BCC journaling."""

from __future__ import annotations

import hashlib

import pytest

from kustos.sources.journal_report import JournalReportInvalid, unwrap_journal
from tests.unit.sources_mail.journal_samples import ORIGINAL, build_report


def test_exchange_report_unwrapped_byte_exact_with_bcc_and_expanded() -> None:
    result = unwrap_journal(build_report(), mail_from="", rcpt_tos=["journal-c42@archive.example"])
    assert result.kind == "exchange"
    assert result.original == ORIGINAL
    assert hashlib.sha256(result.original).digest() == hashlib.sha256(ORIGINAL).digest()
    assert result.envelope_sender == "alice@contoso.com"
    assert result.recipients == ["bob@contoso.com", "dl-member@contoso.com", "fwd@contoso.com",
                                 "dave@fabrikam.com", "eve@contoso.com"]
    fields = {d.address: d for d in result.details}
    assert fields["dave@fabrikam.com"].field == "bcc"
    assert fields["dl-member@contoso.com"].expanded_from == "sales@contoso.com"
    assert fields["fwd@contoso.com"].forwarded_from == "carol@contoso.com"
    assert result.subject == "Angebot für Q2" and result.message_id == "<orig-1@contoso.com>"


def test_encoded_parts_and_legacy_marker() -> None:
    report = build_report(text_cte="base64", rfc822_cte="base64",
                          marker=b"Content-Identifier: ExJournalReport")
    result = unwrap_journal(report)
    assert result.kind == "exchange" and result.original == ORIGINAL
    assert "dave@fabrikam.com" in result.recipients


def test_lf_only_report_keeps_original_bytes() -> None:
    original = ORIGINAL.replace(b"\r\n", b"\n")
    result = unwrap_journal(build_report(original, newline=b"\n"))
    assert result.original == original


def test_plain_bcc_journaling_uses_rcpt_to() -> None:
    result = unwrap_journal(ORIGINAL, mail_from="alice@contoso.com",
                            rcpt_tos=["journal@archive.example", "JOURNAL@archive.example"])
    assert result.kind == "bcc" and result.original == ORIGINAL
    assert result.envelope_sender == "alice@contoso.com"
    assert result.recipients == ["journal@archive.example"]


def test_report_without_attached_message_is_rejected() -> None:
    broken = build_report().replace(b"Content-Type: message/rfc822", b"Content-Type: text/plain")
    with pytest.raises(JournalReportInvalid, match="no message/rfc822"):
        unwrap_journal(broken)
    with pytest.raises(JournalReportInvalid, match="boundary"):
        unwrap_journal(build_report().replace(b"--_journal_boundary_", b"--other"))
