"""Container members whose text is not indexed are reported with the reason.

The channel is the one attachment extraction failures use: ``Attachment.extract_error``
(one line for people, shown on the message page) plus the structured
``Attachment.skipped`` list (name, reason, count).
"""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfWriter

from kustos.mail import Limits, SkippedMember, parse
from tests.unit.mail.mail_samples import forward_of, make_zip, message_with


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _flag_encrypted(archive: bytes, name: bytes) -> bytes:
    """Set the "encrypted" bit of member ``name`` in its local and central header."""
    data = bytearray(archive)
    for sig, flags_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        pos = data.find(sig)
        while data[pos + name_at : pos + name_at + len(name)] != name:
            pos = data.find(sig, pos + 1)
        data[pos + flags_at] |= 0x1
    return bytes(data)


def _bundle() -> bytes:
    members = {
        "notes.txt": b"readable words",
        "locked.txt": b"hidden words",
        "secret.pdf": _encrypted_pdf(),
        "photo.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 64,
        "bomb.bin": b"\0" * (20 * 1024 * 1024),
        "big.txt": b"a" * 100_000,
        "inner.zip": make_zip({"deep.txt": b"deep words"}),
        "extra1.txt": b"one",
        "extra2.txt": b"two",
    }
    return _flag_encrypted(make_zip(members), b"locked.txt")


LIMITS = Limits(max_attachment_bytes=50_000, max_depth=1, max_zip_members=8)
EXPECTED = [
    SkippedMember("locked.txt", "encrypted"),
    SkippedMember("secret.pdf", "PDF is encrypted"),
    SkippedMember("photo.jpg", "unsupported type image/jpeg"),
    SkippedMember("bomb.bin", "compression ratio above 200:1 (possible ZIP bomb)"),
    SkippedMember("big.txt", "larger than 50000 bytes"),
    SkippedMember("inner.zip/deep.txt", "nested deeper than 1"),
    SkippedMember("extra1.txt", "member limit of 8 reached"),
    SkippedMember("extra2.txt", "member limit of 8 reached"),
]


def test_every_skipped_zip_member_is_reported_with_its_reason() -> None:
    msg = parse(message_with([("bundle.zip", "application/zip", _bundle())]), LIMITS)
    [att] = msg.attachments
    assert att.skipped == EXPECTED
    assert att.extract_error == (
        "8 members not indexed: locked.txt (encrypted), secret.pdf (PDF is encrypted), "
        "photo.jpg (unsupported type image/jpeg), bomb.bin (compression ratio above 200:1 "
        "(possible ZIP bomb)), big.txt (larger than 50000 bytes), and 3 more"
    )
    assert att.text == "notes.txt\nreadable words"  # what could be read still is
    assert "hidden" not in att.text and "deep words" not in att.text


def test_skipped_members_inside_a_forwarded_message_keep_their_path() -> None:
    inner = message_with([("bundle.zip", "application/zip", _bundle())])
    msg = parse(forward_of(inner), Limits(max_attachment_bytes=50_000, max_depth=2, max_zip_members=8))
    [forwarded] = msg.attachments
    names = [(s.name, s.reason) for s in forwarded.skipped]
    assert ("bundle.zip/locked.txt", "encrypted") in names
    assert ("bundle.zip/secret.pdf", "PDF is encrypted") in names
    assert forwarded.extract_error.startswith(f"{len(names)} members not indexed: bundle.zip/locked.txt (encrypted)")


def test_countless_members_are_counted_not_listed_one_by_one() -> None:
    archive = make_zip({f"m{i:02d}.txt": b"x" for i in range(30)})
    msg = parse(message_with([("many.zip", "application/zip", archive)]), Limits(max_zip_members=5))
    [att] = msg.attachments
    assert [s.name for s in att.skipped] == [f"m{i:02d}.txt" for i in range(5, 10)] + ["20 further members"]
    assert att.skipped[-1] == SkippedMember("20 further members", "member limit of 5 reached", 20)
    assert att.extract_error.startswith("25 members not indexed: m05.txt (member limit of 5 reached)")
    assert att.extract_error.endswith(", and 20 more")


def test_damaged_archive_members_are_listed_as_not_indexed() -> None:
    archive = _flag_encrypted(make_zip({"a.txt": b"alpha", "b.txt": b"beta"}, zipfile.ZIP_STORED), b"b.txt")
    damaged = archive[: archive.find(b"PK\x01\x02")]  # central directory cut off
    msg = parse(message_with([("cut.zip", "application/zip", damaged)]))
    [att] = msg.attachments
    assert att.members == ["a.txt", "b.txt"]
    assert att.skipped == [
        SkippedMember("a.txt", "archive damaged (no central directory)"),
        SkippedMember("b.txt", "encrypted"),  # the local header says so
    ]


def test_fully_read_archive_reports_nothing() -> None:
    msg = parse(message_with([("ok.zip", "application/zip", make_zip({"a.txt": b"alpha"}))]))
    [att] = msg.attachments
    assert (att.skipped, att.extract_error, att.text) == ([], "", "a.txt\nalpha")
