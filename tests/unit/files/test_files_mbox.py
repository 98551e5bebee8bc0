"""MBOX reader on generated files: separators, From_ quoting, Content-Length, labels, streaming."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from kustos.sources.files import ImportItem, Quarantined, count_estimate, read_path
from kustos.sources.files.labels import labels_to_folders
from kustos.sources.files.mbox_split import iter_mbox

MSG_A = b"From: a@example.org\nSubject: first\n\nbody line\n>From quoted once\n>>From quoted twice\nFrom Russia with love\n"
MSG_B = b"From: b@example.org\nSubject: second\n\nsecond body\n"


def _mbox(tmp_path: Path, data: bytes, name: str = "Archive.mbox") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_mboxrd_quoting_is_undone_and_separators_are_strict(tmp_path: Path) -> None:
    data = b"From a@example.org Mon Jan  1 10:00:00 2024\n" + MSG_A + b"\n"
    data += b"From b@example.org Tue Jan  2 11:30:00 2024\n" + MSG_B
    items = list(read_path(_mbox(tmp_path, data)))
    assert [type(i) for i in items] == [ImportItem, ImportItem]
    first, second = items
    assert isinstance(first, ImportItem) and isinstance(second, ImportItem)
    # One '>' removed per quoted line (mboxrd); the unquoted body "From Russia" line is not a separator.
    assert first.raw == MSG_A.replace(b">From quoted once", b"From quoted once").replace(
        b">>From quoted twice", b">From quoted twice"
    )
    assert second.raw == MSG_B
    assert first.folders == ["Archive"] and first.source_path.endswith("Archive.mbox#1")
    assert first.received == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)


def test_crlf_bom_and_thunderbird_dash_sender(tmp_path: Path) -> None:
    one = b"From: x@example.org\r\nSubject: one\r\n\r\nhello\r\n"
    two = b"From: y@example.org\r\nSubject: two\r\n\r\nworld\r\n"
    data = b"\xef\xbb\xbfFrom - \r\n" + one + b"\r\nFrom - \r\n" + two
    items = [i for i in read_path(_mbox(tmp_path, data)) if isinstance(i, ImportItem)]
    assert [i.raw for i in items] == [one, two]


def test_content_length_delimits_unquoted_from_lines(tmp_path: Path) -> None:
    body = b"line\n\nFrom someone Mon Jan  1 10:00:00 2024\nstill the body\n"
    msg = b"From: a@example.org\nContent-Length: %d\n\n" % len(body) + body
    data = b"From a Mon Jan  1 10:00:00 2024\n" + msg + b"\nFrom b Mon Jan  1 10:00:00 2024\n" + MSG_B
    items = [i for i in read_path(_mbox(tmp_path, data)) if isinstance(i, ImportItem)]
    assert [i.raw for i in items] == [msg, MSG_B]


def test_wrong_content_length_falls_back_to_separators(tmp_path: Path) -> None:
    msg = b"From: a@example.org\nContent-Length: 9999\n\nshort body\n"
    data = b"From a Mon Jan  1 10:00:00 2024\n" + msg + b"\nFrom b Mon Jan  1 10:00:00 2024\n" + MSG_B
    items = [i for i in read_path(_mbox(tmp_path, data)) if isinstance(i, ImportItem)]
    assert [i.raw for i in items] == [msg, MSG_B]


def test_gmail_labels_become_folders_and_flags(tmp_path: Path) -> None:
    msg = (
        b'X-Gmail-Labels: Inbox,Starred,"Work, Projects",Clients/ACME,Category Updates\nSubject: x\n\nbody\n'
    )
    unread = b"X-Gmail-Labels: Archived,Unread\nSubject: y\n\nbody\n"
    data = (
        b"From 1@xxx Mon Jan 01 00:00:00 +0000 2024\n"
        + msg
        + b"\nFrom 2@xxx Mon Jan 01 00:00:00 +0000 2024\n"
        + unread
    )
    first, second = (i for i in read_path(_mbox(tmp_path, data, "takeout.mbox")) if isinstance(i, ImportItem))
    assert first.folders == ["Inbox", "Work, Projects", "Clients/ACME"]
    assert first.flags == ["\\Seen", "\\Flagged"]
    assert second.folders == ["Archived"] and second.flags == []
    assert labels_to_folders("=?UTF-8?Q?=E2=98=AF,Inbox?=") == (["☯", "Inbox"], ["\\Seen"])


def test_not_an_mbox_with_extension_is_quarantined(tmp_path: Path) -> None:
    path = _mbox(tmp_path, b"\x00\x01binary junk", "broken.mbox")
    (entry,) = list(read_path(path))
    assert isinstance(entry, Quarantined)
    assert entry.data == b"\x00\x01binary junk"
    assert "not an mbox file" in entry.reason


def test_streaming_keeps_memory_bounded(tmp_path: Path) -> None:
    body = b"x" * 1000 + b"\n"
    msg = b"From: a@example.org\nSubject: s\n\n" + body * 10
    count = 2000  # about 20 MB of mbox
    path = tmp_path / "big.mbox"
    with path.open("wb") as fh:
        for _ in range(count):
            fh.write(b"From a@example.org Mon Jan  1 10:00:00 2024\n" + msg + b"\n")
    assert count_estimate(path) == count
    digest = hashlib.sha256(msg).digest()
    tracemalloc.start()
    seen = 0
    for item in read_path(path):
        assert isinstance(item, ImportItem) and hashlib.sha256(item.raw).digest() == digest
        seen += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seen == count
    # Bounded by a few 1 MiB read chunks plus one message, far below the 20 MB file.
    assert peak < 6 * 1024 * 1024, f"peak {peak} bytes: the reader is not streaming"


def test_iter_mbox_offsets() -> None:
    data = b"From a Mon Jan  1 10:00:00 2024\n" + MSG_B + b"\nFrom b Mon Jan  1 10:00:00 2024\n" + MSG_B
    offsets = [m.offset for m in iter_mbox(io.BytesIO(data))]
    assert offsets == [0, data.index(b"From b")]


def test_status_headers_become_flags(tmp_path: Path) -> None:
    mutt = b"Status: RO\nX-Status: AF\nSubject: a\n\nbody\n"
    thunderbird = b"X-Mozilla-Status: 1009\nX-Mozilla-Status2: 00000000\nSubject: b\n\nbody\n"
    data = b"From - Mon Jan  1 10:00:00 2024\n" + mutt + b"\nFrom - Mon Jan  1 10:00:00 2024\n" + thunderbird
    first, second = (i for i in read_path(_mbox(tmp_path, data, "Inbox")) if isinstance(i, ImportItem))
    assert first.flags == ["\\Seen", "\\Answered", "\\Flagged"] and first.folders == ["Inbox"]
    assert second.flags == ["\\Seen", "\\Deleted", "$Forwarded"]
