"""The shared third-party corpus: every edge-case message parses, with known values.

Which files are messages comes from the corpus MANIFEST.tsv ("contents" column), so
the expected counts are the corpus' own, not ours.
"""

from __future__ import annotations

import json
import mailbox
import re
import tarfile
import time
from collections import Counter
from pathlib import Path

import pytest

from kustos.mail import SkippedMember, get_part, parse
from kustos.mail.attachments import extract_text
from kustos.mail.extractors import Extracted
from kustos.mail.limits import DEFAULT_LIMITS, Limits

pytestmark = pytest.mark.corpus

MESSAGE_KINDS = ("RFC 5322 message", "not header-first RFC 822", "empty file", "Apple Mail .emlx")


def _manifest(corpus: Path) -> list[tuple[str, str]]:
    rows = []
    with open(corpus / "MANIFEST.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 6 and fields[0].startswith("email/edge/"):
                rows.append((fields[0], fields[5]))
    return rows


def test_every_single_message_file_parses(corpus: Path) -> None:
    rows = [(path, kind) for path, kind in _manifest(corpus) if kind.startswith(MESSAGE_KINDS)]
    outcomes: Counter[str] = Counter()
    parsed = refetched = 0
    for path, kind in rows:
        raw = (corpus / path).read_bytes()
        msg = parse(raw)
        parsed += 1
        assert msg.size == len(raw)
        if kind.startswith("RFC 5322 message"):
            assert msg.parse_error == "", path
            assert msg.headers, path
        elif kind.startswith("empty file"):
            assert msg.parse_error == "empty input", path
        elif kind.startswith("Apple Mail .emlx"):
            assert msg.parse_error == "" and "EmlxEnvelope" in msg.defects, path
            assert "plist" not in msg.body_text, path
        outcomes[kind.split(";")[0].split(" (")[0]] += 1
        if msg.attachments and len(raw) < 1_000_000:
            # every attachment can be fetched again by its section number
            assert [len(get_part(raw, a.part_path)) for a in msg.attachments] == [
                a.size for a in msg.attachments
            ], path
            refetched += len(msg.attachments)
    assert parsed == len(rows) == 1033
    assert refetched == 435
    assert outcomes == {
        "RFC 5322 message": 989,
        "not header-first RFC 822": 33,
        "empty file": 9,
        "Apple Mail .emlx": 2,
    }


def test_every_message_in_the_mbox_files_parses(corpus: Path) -> None:
    expected = 0
    parsed = 0
    subjects = 0
    for path, kind in _manifest(corpus):
        match = re.match(r"mbox, (\d+) messages", kind)
        if not match:
            continue
        expected += int(match.group(1))
        in_file = 0
        for message in mailbox.mbox(corpus / path, create=False):
            msg = parse(message.as_bytes())
            in_file += 1
            subjects += bool(msg.subject)
        assert in_file == int(match.group(1)), path
        parsed += in_file
    assert parsed == expected == 387
    assert subjects > 300


def _subject_from_stalwart_json(path: Path) -> str | None:
    for header in json.loads(path.read_text())["parts"][0]["headers"]:
        if header["name"] == "subject":
            value = header["value"]
            return value.get("Text") if isinstance(value, dict) else None
    return None


def test_subjects_match_stalwart_expectations(corpus: Path) -> None:
    """mail-parser's expected JSON gives the decoded subject of each test message;
    where it shows U+FFFD for an undeclared 8-bit byte we accept any character
    (we decode it as cp1252, which is what the senders meant)."""
    compared = 0
    for expected_file in sorted((corpus / "email/edge/stalwart-mail-parser/eml").glob("*/*.json")):
        if expected_file.name.endswith(".crlf.json"):
            continue
        eml = expected_file.with_suffix(".eml")
        expected = _subject_from_stalwart_json(expected_file)
        if expected is None or not eml.exists():
            continue
        actual = " ".join(parse(eml.read_bytes()).subject.split())
        pattern = ".".join(re.escape(piece) for piece in " ".join(expected.split()).split("\ufffd"))
        assert re.fullmatch(pattern, actual), (eml.name, expected, actual)
        compared += 1
    assert compared == 79


KNOWN = {
    "cpython-test_email/msg_02.txt": ("Ppp digest, Vol 1 #2 - 5 msgs", ["[Ppp] testing #1.eml", "message.eml",
                                      "[Ppp] testing #3.eml", "[Ppp] testing #4.eml", "[Ppp] testing #5.eml"]),
    "cpython-test_email/msg_07.txt": ("Here is your dingus fish", ["dingusfish.gif"]),
    "piler/unit_tests/16-rfc822-attachment-1.eml": (
        "Féláras akció! 31000Ft/2fő/3nap húsvétkor is a Park Inn****-ben!",
        ["Féláras akció! 31000Ft/2fő/3nap húsvétkor is a Park Inn****-ben!.eml"],
    ),
    "piler/unit_tests/32-subject.eml": ("<GD-XXXX/1-2015> www.ujsag.hu new virtual host reg. --> Aaaaaaaaa", []),
    "piler/unit_tests/13-xlsx.eml": ("ez egy teszt", ["test.xlsx"]),
    "piler/unit_tests/35-encrypted-zip.eml": (None, ["1.zip"]),
    "flanker/attached-pdf.eml": ("test message via curl - extra content-type (_001_)", ["test.pdf"]),
    "tnef/mimekit/ukr.eml": ("rr test 7", ["winmail.dat"]),
    "enmime/mail/attachment-only.raw": ("Test", ["favicon.jpg"]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_messages(corpus: Path, name: str) -> None:
    subject, filenames = KNOWN[name]
    raw = (corpus / "email/edge" / name).read_bytes()
    msg = parse(raw)
    if subject is not None:
        assert msg.subject == subject
    assert [a.filename for a in msg.attachments] == filenames
    for att in msg.attachments:
        assert len(get_part(raw, att.part_path)) == att.size or att.content_type == "message/rfc822"


def test_known_attachment_texts(corpus: Path) -> None:
    edge = corpus / "email/edge"
    [xlsx] = parse((edge / "piler/unit_tests/13-xlsx.eml").read_bytes()).attachments
    assert xlsx.text.startswith("Sheet1\nSheet2\nUser ID\tDepartment\tProfile\tLast Active\n")
    [pdf] = parse((edge / "flanker/attached-pdf.eml").read_bytes()).attachments
    assert pdf.text.strip() == "Test."
    [zipped] = parse((edge / "piler/unit_tests/35-encrypted-zip.eml").read_bytes()).attachments
    assert zipped.members == ["1.png"]  # central directory missing: names from local headers
    [forwarded] = parse((edge / "piler/unit_tests/16-rfc822-attachment-1.eml").read_bytes()).attachments
    assert forwarded.members == ["image002.jpg", "image004.jpg"]
    assert forwarded.text.startswith("From: Kardos Mars <kardosmars@citromail.hu>\n")
    [winmail] = parse((edge / "tnef/mimekit/ukr.eml").read_bytes()).attachments
    assert winmail.text.startswith("шостий")


# tnefparse and MimeKit disagree on three samples; we assert what tnefparse reads:
# christmas: two of MimeKit's four "Untitled Attachment"s are embedded messages that
# tnefparse reports as one attachment nested in another; long-filename and
# missing-filenames: MimeKit's list has only the body, tnefparse finds the files.
TNEF_DIFFERENCES = {
    "christmas": ["kitten-playing-with-a-christmas-tree.jpg", "Untitled Attachment", "Untitled Attachment"],
    "long-filename": ["allproductsmar2000.dat"],
    "missing-filenames": ["generpts.src", "TechlibDEC99.doc", "TechlibDEC99-JAN00.doc", "TechlibNOV99.doc"],
}


def test_tnef_attachment_names_match_the_list_files(corpus: Path) -> None:
    checked = 0
    for blob in sorted((corpus / "email/edge/tnef/mimekit").glob("*.tnef")):
        listed = [n for n in blob.with_suffix(".list").read_text().splitlines() if n]
        expected = sorted(n for n in listed if n not in ("body.rtf", "body.html"))
        result = extract_text(
            blob.read_bytes(), "application/ms-tnef", "winmail.dat", DEFAULT_LIMITS, 0, _fail
        )
        top_level = sorted(m for m in result.members if "/" not in m)
        assert top_level == sorted(TNEF_DIFFERENCES.get(blob.stem, expected)), blob.name
        checked += 1
    assert checked == 19


def _fail(data, ctx):  # type: ignore[no-untyped-def]
    raise AssertionError("no nested message expected")


def test_tnef_members_not_indexed_are_reported(corpus: Path) -> None:
    blob = (corpus / "email/edge/tnef/mimekit/christmas.tnef").read_bytes()
    result = extract_text(blob, "application/ms-tnef", "winmail.dat", Limits(max_zip_members=1), 0, _fail)
    assert result.skipped == [
        SkippedMember("kitten-playing-with-a-christmas-tree.jpg", "unsupported type image/jpeg"),
        SkippedMember("2 further members", "member limit of 1 reached", 2),
    ]


def test_tnef_bodies_and_bad_blobs(corpus: Path) -> None:
    tnef = corpus / "email/edge/tnef"
    quick = extract_text((tnef / "apache-poi-hmef/quick-winmail.dat").read_bytes(), "application/ms-tnef",
                         "winmail.dat", DEFAULT_LIMITS, 0, _fail)  # fmt: skip
    assert quick.error == ""
    expected_names = sorted(p.name for p in (tnef / "apache-poi-hmef/quick-contents").iterdir()
                            if p.name not in ("message.rtf",))  # fmt: skip
    assert sorted(quick.members) == expected_names
    bad = extract_text((tnef / "tnefparse/bad_checksum.tnef").read_bytes(), "application/ms-tnef", "x.dat",
                       DEFAULT_LIMITS, 0, _fail)  # fmt: skip
    assert (bad.error, bad.members) == ("", ["image001.png"])
    # A fuzzer-found blob that sends tnefparse into a long loop: the budget ends it.
    start = time.monotonic()
    oom = extract_text((tnef / "apache-poi-hmef/oom.tnef").read_bytes(), "application/ms-tnef", "x.dat",
                       Limits(attachment_seconds=0.5), 0, _fail)  # fmt: skip
    assert oom.error == "extraction timed out after 0.5s"
    assert time.monotonic() - start < 10.0  # 0.5 s budget; generous for a loaded 2-core CI machine


def test_bulk_sample_parses_cleanly(corpus: Path) -> None:
    """200 real list messages: every one parses, has a sender and a Message-ID."""
    archive = corpus / "email/bulk/usrp-users-public-inbox"
    [tar_path] = list(archive.glob("*.tar.xz"))
    count = 0
    with tarfile.open(tar_path, "r:xz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            handle = tar.extractfile(member)
            assert handle is not None
            msg = parse(handle.read())
            assert msg.parse_error == "" and msg.from_ and msg.message_id, member.name
            count += 1
            if count == 200:
                break
    assert count == 200


def test_outlook_msg_attachments(corpus: Path) -> None:
    msg_dir = corpus / "msg"

    def run(name: str) -> tuple[str, list[str], str]:
        data = (msg_dir / name).read_bytes()
        result = extract_text(
            data, "application/octet-stream", Path(name).name, DEFAULT_LIMITS, 0, _as_message
        )
        return result.text, result.members, result.error

    text, members, error = run("msg-extractor/unicode.msg")
    assert error == "" and members == ["import OleFileIO.tif", "raised value error.tif"]
    assert text.startswith("From: Brian Zhou <brizhou@gmail.com>\nTo: brianzhou@me.com\n")
    text, members, error = run("python-oxmsg/message.msg")
    assert members == ["serveimage.jpg"] and "Subject: Re: test intern" in text
    text, _members, error = run("aleph-ingest-file/fnf.msg")  # RFC 822 text named .msg
    assert error == "" and text == "parsed as RFC 822"
    _text, _members, error = run("python-oxmsg/not-a-MSG-file.msg")
    assert error == "not a readable Outlook item: InvalidFileFormatError"


def _as_message(data, ctx):  # type: ignore[no-untyped-def]
    return Extracted(text="parsed as RFC 822")


def test_smime_signed_and_encrypted_samples(corpus: Path) -> None:
    pkcs7 = corpus / "email/edge/notmuch"
    [signed] = parse((pkcs7 / "pkcs7/smime-onepart-signed.eml").read_bytes()).attachments
    assert signed.filename == "smime.p7m" and "Bob, we need to cancel this contract." in signed.text
    [encrypted] = parse((pkcs7 / "protected-headers/smime-sign+enc.eml").read_bytes()).attachments
    assert encrypted.extract_error == "S/MIME enveloped-data: content not readable without a key"


def test_legacy_word_and_encrypted_office(corpus: Path) -> None:
    doc = corpus / "email/edge/tnef/apache-poi-hmef/quick-contents/quick.doc"
    result = extract_text(doc.read_bytes(), "application/octet-stream", "quick.doc", DEFAULT_LIMITS, 0, _fail)
    assert (result.text, result.error) == ("The quick brown fox jumps over the lazy dog", "")
    raw = (corpus / "email/edge/spamassassin-t-data/spam/olevbmacro/encrypted.eml").read_bytes()
    [att] = parse(raw).attachments
    assert (att.filename, att.extract_error) == (
        "encrypted_word_doc.docx",
        "encrypted Office document (password protected)",
    )
