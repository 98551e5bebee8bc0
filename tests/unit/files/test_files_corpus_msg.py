"""Outlook .msg files on the shared corpus (extract-msg)."""

from __future__ import annotations

import hashlib
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from kustos.sources.files import ImportItem, Quarantined, read_path

pytestmark = pytest.mark.corpus

SUBJECTS = {
    "aleph-ingest-file/piste.msg": "Ab auf die Piste!",
    "msg-extractor/strangeDate.msg": "MSG Test File",
    "msg-extractor/unicode.msg": "Test for TIF files",
    "python-oxmsg/message.msg": "Re: test internal",
    "python-oxmsg/no-attachments.msg": "This is the subject",
    "ruby-msg/contact-unicode.msg": "(full name) A completely bogus contact",
    "ruby-msg/note.msg": "note sample",
    "ruby-msg/test_Blammo.msg": "BlammoBlammo",
}


def test_every_outlook_msg_keeps_original_and_converts(corpus: Path) -> None:
    root = corpus / "msg"
    converted = 0
    for path in sorted(root.rglob("*.msg")):
        data = path.read_bytes()
        (entry,) = list(read_path(path))
        rel = str(path.relative_to(root))
        if not data.startswith(b"\xd0\xcf\x11\xe0"):
            continue  # not OLE2: covered by the negative-case tests below
        assert isinstance(entry, ImportItem), (rel, entry)
        assert entry.original == data and entry.original_kind == "msg"
        msg = BytesParser(policy=policy.default).parsebytes(entry.raw)
        assert msg.get_content_type().startswith(("multipart/", "text/"))
        if rel in SUBJECTS:
            assert msg["subject"] == SUBJECTS[rel], rel
        (again,) = list(read_path(path))
        assert isinstance(again, ImportItem) and again.raw == entry.raw, "conversion must be deterministic"
        converted += 1
    assert converted == 13


def test_msg_details(corpus: Path) -> None:
    (item,) = list(read_path(corpus / "msg/msg-extractor/unicode.msg"))
    assert isinstance(item, ImportItem) and item.kind == "message"
    msg = BytesParser(policy=policy.default).parsebytes(item.raw)
    assert msg["from"] == "Brian Zhou <brizhou@gmail.com>"
    assert msg["message-id"] == "<CADtJ4eNjQSkGcBtVteCiTF+YFG89+AcHxK3QZ=-Mt48xygkvdQ@mail.gmail.com>"
    names = sorted(p.get_filename() or "" for p in msg.iter_attachments())
    assert names == ["import OleFileIO.tif", "raised value error.tif"]
    (contact,) = list(read_path(corpus / "msg/ruby-msg/contact-unicode.msg"))
    assert isinstance(contact, ImportItem) and contact.kind == "contact"
    assert b"email@emailland.com" in contact.raw


def test_rfc822_text_named_msg_is_imported_as_eml(corpus: Path) -> None:
    path = corpus / "msg/aleph-ingest-file/fnf.msg"
    (item,) = list(read_path(path))
    assert isinstance(item, ImportItem) and item.original is None and item.kind == "message"
    assert hashlib.sha256(item.raw).digest() == hashlib.sha256(path.read_bytes()).digest()


def test_non_msg_file_with_msg_extension_is_quarantined(corpus: Path) -> None:
    path = corpus / "msg/python-oxmsg/not-a-MSG-file.msg"
    (entry,) = list(read_path(path))
    assert isinstance(entry, Quarantined)
    assert entry.reason == "not an Outlook MSG file: no OLE2 signature (it looks like a PNG image)"
    assert entry.data == path.read_bytes()


def test_msg_without_extension_is_recognised_by_content(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / "msg/python-oxmsg/no-attachments.msg").read_bytes()
    (tmp_path / "mail-item").write_bytes(data)
    (item,) = list(read_path(tmp_path))
    assert isinstance(item, ImportItem) and item.original == data and item.original_kind == "msg"
