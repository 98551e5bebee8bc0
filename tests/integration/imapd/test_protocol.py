"""The framework-free protocol pieces: tokens, sequence sets, modified UTF-7, search translation,
FETCH sections cut from the original bytes."""

from __future__ import annotations

import pytest

from kustos.imapd import mime, searchkeys
from kustos.imapd.protocol import (
    ParseError,
    decode_mailbox,
    encode_mailbox,
    parse_seqset,
    parse_uidset,
    quote,
    split_command,
    tokenize,
)


def test_tokens_literals_and_brackets():
    assert tokenize(b'1:* (UID BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)') == [
        "1:*", ["UID", "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>"]]
    assert tokenize(b'"a \\"b\\"" {3}\r\nx y NIL') == [b'a "b"', b"x y", "NIL"]
    for bad in (b'"open', b"(a", b"a)", b"{10}\r\nshort", b"BODY[HEADER"):
        with pytest.raises(ParseError):
            tokenize(bad)
    with pytest.raises(ParseError):
        tokenize(b"(" * 50 + b")" * 50)
    assert split_command(b"a1 uid fetch 1 FLAGS\r\n") == ("a1", "UID", b"fetch 1 FLAGS\r\n")
    with pytest.raises(ParseError):
        split_command(b"+ LOGIN x y\r\n")


def test_sequence_and_uid_sets():
    assert parse_seqset("1:3,7,10:*", 12) == {1, 2, 3, 7, 10, 11, 12}
    assert parse_seqset("*:4", 5) == {4, 5} and parse_seqset("99", 5) == set()
    assert parse_uidset("5:*", [2, 5, 9]) == {5, 9} and parse_uidset("100:*", [2, 5, 9]) == {9}
    for bad in ("", "0", "1:2:3", "a", "1,,2"):
        with pytest.raises(ParseError):
            parse_seqset(bad, 10)


def test_modified_utf7_round_trip():
    for name in ("INBOX", "Projekte/Übersicht", "Entwürfe & Notizen", "日本語", "a&b"):
        assert decode_mailbox(encode_mailbox(name)) == name
    assert encode_mailbox("Übersicht") == "&ANw-bersicht" and encode_mailbox("a&b") == "a&-b"
    assert quote("plain") == b'"plain"' and quote("zwei\r\nzeilen") == b"{12}\r\nzwei\r\nzeilen"


def _run(tokens: list, uids: list[int], answer: dict[str, set[int]]) -> tuple[set[int], list[str]]:
    asked: list[str] = []

    def run(query: str) -> set[int]:
        asked.append(query)
        return answer.get(query, set())

    return searchkeys.evaluate(searchkeys.compile_keys(tokens, uids), uids, run), asked


def test_search_criteria_become_one_index_query():
    found, asked = _run(tokenize(b'SUBJECT "Rechnung" FROM lieferant SINCE 1-Feb-2024'), [1, 2, 3],
                        {'(subject:"Rechnung") (from:"lieferant") (after:2024-02-01)': {2, 3}})
    assert found == {2, 3} and len(asked) == 1
    found, asked = _run(tokenize(b"OR SUBJECT a NOT BODY b"), [1, 2], {'((subject:"a") OR (* NOT (body:"b")))': {1}})
    assert found == {1} and len(asked) == 1
    # Local criteria (UIDs, message numbers, flags) are combined with the index answers here.
    found, _ = _run(tokenize(b'UID 2:* SUBJECT "x"'), [1, 2, 3], {'subject:"x"': {1, 3}})
    assert found == {3}
    found, _ = _run(tokenize(b"NOT 1 UNSEEN"), [1, 2, 3], {})
    assert found == set()
    found, _ = _run(tokenize(b"NOT 1"), [1, 2, 3], {})
    assert found == {2, 3}
    for bad in (b"SUBJECT", b"HEADER X-Spam yes", b"SINCE 31-Foo-2024", b"FROBNICATE", b'SUBJECT ""'):
        with pytest.raises(ParseError):
            searchkeys.compile_keys(tokenize(bad), [1])


RAW = (b"From: A <a@x.de>\r\nSubject: hi\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
       b"preamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\n"
       b"Subject: inner\r\nContent-Type: text/plain\r\n\r\ninner body\r\n--XX--\r\nepilogue\r\n")


def test_sections_are_slices_of_the_original():
    assert mime.section_bytes(RAW, "") == RAW
    assert mime.section_bytes(RAW, "HEADER") + mime.section_bytes(RAW, "TEXT") == RAW
    assert mime.section_bytes(RAW, "1") == b"hello"
    assert mime.section_bytes(RAW, "1.MIME") == b"Content-Type: text/plain\r\n\r\n"
    assert mime.section_bytes(RAW, "2.HEADER") == b"Subject: inner\r\nContent-Type: text/plain\r\n\r\n"
    assert mime.section_bytes(RAW, "2.1") == b"inner body"
    assert mime.section_bytes(RAW, "HEADER.FIELDS (SUBJECT)") == b"Subject: hi\r\n\r\n"
    assert mime.section_bytes(RAW, "HEADER.FIELDS.NOT (SUBJECT CONTENT-TYPE)") == b"From: A <a@x.de>\r\n\r\n"
    assert mime.section_bytes(RAW, "3") is None and mime.section_bytes(RAW, "1.5") is None
    assert mime.bodystructure(RAW).endswith(b' "MIXED")')
    assert mime.envelope(RAW).startswith(b'(NIL "hi" (("A" NIL "a" "x.de"))')
