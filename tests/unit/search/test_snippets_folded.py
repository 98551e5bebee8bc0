"""Snippets mark the words a query matched even when they are spelt or formed differently."""

from __future__ import annotations

from kustos.search.query.parser import parse_query
from kustos.search.snippets import FOLDED_SCAN_CHARS, Highlighter


def snippet(query: str, body: str, subject: str = "") -> str:
    return Highlighter(parse_query(query)).make(body, "", subject)


def test_other_spellings_and_forms_are_marked() -> None:
    assert "<mark>Müller</mark>" in snippet("Mueller", "Sehr geehrter Herr Müller, danke.")
    assert "<mark>MUELLER</mark>" in snippet("Müller", "Gruss von MUELLER aus Bonn")
    assert "<mark>Straße</mark>" in snippet("strasse", "Bitte zur Straße kommen.")
    assert "<mark>Rechnungen</mark>" in snippet("Rechnung", "Die Rechnungen liegen bei.")
    assert "<mark>Stromrechnung</mark>" in snippet("Rechnung", "Ihre Stromrechnung für Mai.")
    assert "<mark>invoices</mark>" in snippet("invoice", "Please find the invoices attached.")
    assert "<mark>Müllers</mark>" in snippet("Müll*", "Familie Müllers Garten")


def test_words_as_typed_are_marked_and_others_then_not() -> None:
    # The exact word is in the text: only it is marked (the fast path).
    out = snippet("Rechnung", "Die Rechnung und die Rechnungen.")
    assert out.count("<mark>") == 1 and "<mark>Rechnung</mark>" in out


def test_unrelated_words_are_not_marked() -> None:
    assert "<mark>" not in snippet("Müller", "Die Hausmüllabfuhr kommt am Montag.")
    assert "<mark>" not in snippet("queue", "Quelle und Quote")


def test_the_slow_scan_reads_a_bounded_prefix() -> None:
    body = "x " * FOLDED_SCAN_CHARS + "Müller"
    assert "<mark>" not in snippet("Mueller", body)
    assert "<mark>Müller</mark>" in snippet("Mueller", "x " * (FOLDED_SCAN_CHARS // 4) + "Müller")
