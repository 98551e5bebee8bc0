"""The query language: what each construct parses to, and where errors point."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kustos.search.query.ast import (
    And,
    DateRange,
    HasAttachment,
    Keyword,
    MatchAll,
    MatchNone,
    Not,
    Or,
    SizeRange,
    Text,
)
from kustos.search.query.errors import QuerySyntaxError
from kustos.search.query.parser import parse_query


def t(*tokens: str, field: str | None = None, prefix: bool = False) -> Text:
    return Text(field, tokens, prefix)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", MatchAll()),
        ("   ", MatchAll()),
        ("*", MatchAll()),
        ("Müller", t("müller")),
        ("foo bar", And((t("foo"), t("bar")))),
        ("foo AND bar", And((t("foo"), t("bar")))),
        ("foo && bar", And((t("foo"), t("bar")))),
        ("foo OR bar", Or((t("foo"), t("bar")))),
        ("foo or bar", And((t("foo"), t("or"), t("bar")))),
        ("a OR b c", Or((t("a"), And((t("b"), t("c")))))),
        ("(a OR b) c", And((Or((t("a"), t("b"))), t("c")))),
        ("-foo", Not(t("foo"))),
        ("NOT foo", Not(t("foo"))),
        ("NOT NOT foo", t("foo")),
        ("-(a OR b)", Not(Or((t("a"), t("b"))))),
        ("foo-bar", t("foo", "bar")),
        ('"Hello, World"', t("hello", "world")),
        ("invoi*", t("invoi", prefix=True)),
        ('"quarterly rep*"', t("quarterly", "rep", prefix=True)),
        ("from:alice@x.de", t("alice", "x", "de", field="from")),
        ('subject:"Rechnung März"', t("rechnung", "märz", field="subject")),
        ("FROM:bob", t("bob", field="from")),
        ("from:(a OR b)", Or((t("a", field="from"), t("b", field="from")))),
        ("attachment:report.pdf", t("report", "pdf", field="attachment")),
        ("has:attachment", HasAttachment()),
        ("folder:INBOX/Sub", Keyword("folder", "inbox/sub")),
        ("folder:/INBOX/", Keyword("folder", "inbox")),
        ("folder:Arch*", Keyword("folder", "arch", prefix=True)),
        ("mailbox:Alice@X.de", Keyword("mailbox", "alice@x.de")),
        ("date:2024", DateRange(utc(2024, 1, 1), utc(2025, 1, 1))),
        ("date:2024-02", DateRange(utc(2024, 2, 1), utc(2024, 3, 1))),
        ("date:2024-12", DateRange(utc(2024, 12, 1), utc(2025, 1, 1))),
        ("date:2024-02-29", DateRange(utc(2024, 2, 29), utc(2024, 3, 1))),
        ("date:2024-01-01..2024-03-31", DateRange(utc(2024, 1, 1), utc(2024, 4, 1))),
        ("date:01.01.2024..31.03.2024", DateRange(utc(2024, 1, 1), utc(2024, 4, 1))),
        ("date:2024..", DateRange(utc(2024, 1, 1), None)),
        ("date:..2024", DateRange(None, utc(2025, 1, 1))),
        ("before:2024-03-01", DateRange(None, utc(2024, 3, 1))),
        ("after:2024-03", DateRange(utc(2024, 3, 1), None)),
        ("size:>1MB", SizeRange(1024 * 1024 + 1, None)),
        ("size:>=1mb", SizeRange(1024 * 1024, None)),
        ("size:<10k", SizeRange(None, 10 * 1024 - 1)),
        ("size:<=10KiB", SizeRange(None, 10 * 1024)),
        ("size:1.5M", SizeRange(1572864, 1572864)),
        ("size:10k..1M", SizeRange(10240, 1024 * 1024)),
        ("Re: hello", And((t("re"), t("hello")))),
        ("http://example.com/x", t("http", "example", "com", "x")),
        ("!!!", MatchNone()),
        ("foo !!!", t("foo")),
        ("NOT *", MatchNone()),
        ("* foo", t("foo")),
        ("foo OR *", MatchAll()),
    ],
)
def test_parses(text: str, expected: object) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("(foo", 0, "missing ')'"),
        ("foo)", 3, "unexpected ')'"),
        ("foo AND", 7, "query ends"),
        ("OR foo", 0, "unexpected 'OR'"),
        ('foo "bar', 4, "unterminated quote"),
        ("()", 0, "empty parentheses"),
        ("from:", 0, "needs a value"),
        ("x date:2024-13", 7, "invalid date"),
        ("date:2024-02-30", 5, "invalid date"),
        ("date:2024..2023", 5, "empty"),
        ("date:..", 5, "at least one bound"),
        ("size:huge", 5, "invalid size"),
        ("has:wings", 4, "has:attachment"),
        ("date:(2024)", 0, "cannot be applied to a group"),
        ("nosuch:(a)", 0, "unknown field"),
    ],
)
def test_errors_carry_message_and_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(text)
    assert info.value.position == position
    assert fragment in info.value.message
    assert f"position {position}" in str(info.value)


_QUERY_ALPHABET = st.sampled_from(
    list('abcü XYZ019"()-*:.<>=/@') + ["AND ", "OR ", "NOT ", "from:", "date:", "size:", "folder:", "has:", ".."]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_QUERY_ALPHABET, max_size=20).map("".join))
def test_any_text_parses_or_raises_syntax_error(text: str) -> None:
    try:
        node = parse_query(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert node is not None
