"""EML, EMLX, Maildir, directory walk and detection on generated fixtures."""

from __future__ import annotations

import hashlib
import plistlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kustos.sources.files import ImportItem, Quarantined, Skipped, count_estimate, read_path

EML = b"Received: from x by y; Mon, 1 Jan 2024 10:00:00 +0000\r\nFrom: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"


def _only(entries: list) -> ImportItem:
    assert len(entries) == 1 and isinstance(entries[0], ImportItem), entries
    return entries[0]


def test_eml_is_byte_exact_even_with_a_wrong_extension(tmp_path: Path) -> None:
    for name in ("a.eml", "b.msg", "c"):
        path = tmp_path / name
        path.write_bytes(EML)
        item = _only(list(read_path(path)))
        assert hashlib.sha256(item.raw).hexdigest() == hashlib.sha256(EML).hexdigest()
        assert item.folders == [] and item.kind == "message" and item.original is None


def test_emlx_yields_message_bytes_and_plist_metadata(tmp_path: Path) -> None:
    meta = plistlib.dumps({"date-received": 1704103200, "flags": 0b10101})
    path = tmp_path / "123.emlx"
    path.write_bytes(b"%d\n" % len(EML) + EML + meta)
    item = _only(list(read_path(path)))
    assert item.raw == EML
    assert item.received == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert item.flags == ["\\Seen", "\\Answered", "\\Flagged"]


def test_truncated_emlx_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "1.emlx"
    path.write_bytes(b"9999\n" + EML)
    (entry,) = list(read_path(path))
    assert isinstance(entry, Quarantined) and "truncated .emlx" in entry.reason
    assert entry.data == path.read_bytes()


def _maildir(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for box in ("", ".Sent", ".Sent.2024"):
        (root / box / "tmp").mkdir(parents=True, exist_ok=True)


def test_maildir_plus_plus_tree(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    _maildir(
        root,
        {
            "cur/1704103200.M1P1.host:2,RS": EML,
            "new/1704103201.M2P1.host": EML + b"2",
            "tmp/1704103202.M3P1.host": b"in delivery",
            ".Sent/cur/1704103203.M4P1.host:2,S": EML + b"3",
            ".Sent.2024/cur/1704103204.M5P1.host;2,FS": EML + b"4",
            ".Sent.2024/cur/.hidden": b"not a message",
            "dovecot-uidlist": b"3 V1 N5\n",
            "maildirfolder": b"",
        },
    )
    items = list(read_path(root))
    assert all(isinstance(i, ImportItem) for i in items)
    got = {(tuple(i.folders), i.raw[-1:], tuple(i.flags)) for i in items if isinstance(i, ImportItem)}
    assert got == {
        (("INBOX",), b"\n", ("\\Answered", "\\Seen")),
        (("INBOX",), b"2", ()),
        (("Sent",), b"3", ("\\Seen",)),
        (("Sent/2024",), b"4", ("\\Flagged", "\\Seen")),
    }
    first = next(i for i in items if isinstance(i, ImportItem))
    assert first.received == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert count_estimate(root) == 4


def test_directory_walk_names_folders_and_reports_everything(tmp_path: Path) -> None:
    (tmp_path / "Archive" / "2023").mkdir(parents=True)
    (tmp_path / "Archive" / "2023" / "a.eml").write_bytes(EML)
    (tmp_path / "Local.sbd").mkdir()
    (tmp_path / "Local.sbd" / "Lists").write_bytes(b"From - Mon Jan  1 10:00:00 2024\n" + EML)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4 not mail")
    (tmp_path / "bad.msg").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00")
    entries = list(read_path(tmp_path))
    items = {e.source_path.removeprefix(str(tmp_path) + "/"): e for e in entries}
    assert set(items) == {"Archive/2023/a.eml", "Local.sbd/Lists#1", "notes.pdf", "bad.msg"}
    assert isinstance(items["Archive/2023/a.eml"], ImportItem) and items["Archive/2023/a.eml"].folders == [
        "Archive/2023"
    ]
    lists = items["Local.sbd/Lists#1"]
    assert isinstance(lists, ImportItem) and lists.folders == ["Local/Lists"] and lists.raw == EML
    assert isinstance(items["notes.pdf"], Skipped) and "PDF" in items["notes.pdf"].reason
    bad = items["bad.msg"]
    assert isinstance(bad, Quarantined)
    assert bad.reason == "not an Outlook MSG file: no OLE2 signature (it looks like a PNG image)"
    assert bad.data == b"\x89PNG\r\n\x1a\n"


def test_unrecognised_file_named_directly_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7\n...")
    (entry,) = list(read_path(path))
    assert isinstance(entry, Quarantined)
    assert entry.reason.startswith("unrecognised file format: it looks like a PDF document")
    assert entry.data == b"%PDF-1.7\n..."


def test_progress_reports_each_entry(tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"{n}.eml").write_bytes(EML)
    calls: list[tuple[int, int | None]] = []
    list(read_path(tmp_path, progress=lambda done, total: calls.append((done, total))))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(read_path(tmp_path / "nope"))


def test_apple_mail_tree_folders(tmp_path: Path) -> None:
    emlx = b"%d\n" % len(EML) + EML + plistlib.dumps({"flags": 1})
    layout = [
        "Mailboxes/Work.mbox/Messages/1.emlx",
        "Mailboxes/Work.mbox/Projects.mbox/0A1B-UUID/Data/1/2/Messages/22.emlx",
        "Mailboxes/Work.mbox/Info.plist",
    ]
    for rel in layout:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(emlx if rel.endswith(".emlx") else plistlib.dumps({}))
    (tmp_path / "link.eml").symlink_to(tmp_path / layout[0])
    entries = list(read_path(tmp_path))
    items = [e for e in entries if isinstance(e, ImportItem)]
    assert sorted(i.folders[0] for i in items) == ["Mailboxes/Work", "Mailboxes/Work/Projects"]
    assert all(i.raw == EML and i.flags == ["\\Seen"] for i in items)
    skipped = sorted(Path(e.source_path).name for e in entries if isinstance(e, Skipped))
    assert skipped == ["Info.plist", "link.eml"]
