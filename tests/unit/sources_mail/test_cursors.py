"""Compact cursor encodings: IMAP UID sets and POP3 seen-UIDL sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kustos.sources.imap.uidset import UidSetInvalid, decode_uids, encode_uids
from kustos.sources.pop3 import Pop3ProtocolError, decode_seen, encode_seen, parse_uidl

POP3 = "api/imap-pop3-smtp-transcripts/mailkit/pop3"


def test_uid_ranges_collapse() -> None:
    assert encode_uids([5, 1, 2, 3, 9, 10]) == "1:3,5,9:10"
    assert decode_uids("1:3,5,9:10") == {1, 2, 3, 5, 9, 10}
    assert encode_uids([]) == "" and decode_uids("") == set()


@pytest.mark.parametrize("bad", ["0", "3:1", "a", "1:", ",", "1,,2"])
def test_bad_uid_sets_are_rejected(bad: str) -> None:
    with pytest.raises(UidSetInvalid):
        decode_uids(bad)


@given(st.sets(st.integers(min_value=1, max_value=2**32 - 1), max_size=200))
def test_uid_sets_round_trip(uids: set[int]) -> None:
    assert decode_uids(encode_uids(uids)) == uids


@given(st.sets(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=70),
               max_size=100))
def test_seen_uidls_round_trip(uidls: set[str]) -> None:
    assert decode_seen(encode_seen(uidls)) == uidls


def test_seen_encoding_is_compact() -> None:
    uidls = {f"{n:08X}{1700000000:08X}" for n in range(1, 10001)}  # Dovecot's default UIDL format
    encoded = json.dumps({"v": 1, "seen": encode_seen(uidls)})
    assert len(encoded) < 0.25 * sum(len(u) + 1 for u in uidls)


def transcript_lines(path: Path) -> list[bytes]:
    lines = path.read_bytes().splitlines()
    assert lines[0].startswith(b"+OK") and lines[-1] == b"."
    return lines[1:-1]


def test_uidl_transcripts_parse(corpus: Path) -> None:
    gmail = parse_uidl(transcript_lines(corpus / POP3 / "gmail/uidl.txt"))
    assert gmail[1] == "101" and len(gmail) >= 3
    exchange = parse_uidl(transcript_lines(corpus / POP3 / "exchange/uidl.txt"))
    assert exchange == {n: str(6498 + n) for n in range(1, 8)}


def test_broken_uidl_transcript_is_a_protocol_error(corpus: Path) -> None:
    with pytest.raises(Pop3ProtocolError, match="malformed UIDL line"):
        parse_uidl(transcript_lines(corpus / POP3 / "gmail/uidl-error1.txt"))
