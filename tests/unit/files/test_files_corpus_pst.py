"""PST/OST reader on the shared corpus (libpff-python)."""

from __future__ import annotations

from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from kustos.sources.files import ImportItem, Quarantined, count_estimate, read_path

pytestmark = pytest.mark.corpus

# pst-extractor prints the IPM subtree's own name; Kustos drops it (it is the store root
# the user sees as the data file, not a folder) so folders read "Inbox", not
# "Top of Personal Folders/Inbox".
IPM_ROOT = "Top of Personal Folders"


def expected_enron(output_txt: Path) -> dict[str, list[str]]:
    """Folder path → subjects, parsed from pst-extractor's listing of enron.pst."""
    lines = output_txt.read_text(encoding="utf-8").splitlines()
    start = lines.index("./testdata/enron.pst") + 2  # skip the "Personal folders" root line
    stack: list[str] = []
    found: dict[str, list[str]] = {}
    for line in lines[start:]:
        if "processed in" in line:
            break
        prefix, sep, name = line.partition("|- ")
        if not sep:
            continue
        depth = prefix.count("|")
        if name.startswith("Sender: "):
            path = "/".join(stack[:depth])
            found.setdefault(path, []).append(name.split(", Subject:", 1)[1].strip())
        else:
            stack[depth:] = [name]
    return {
        path.removeprefix(IPM_ROOT + "/"): subjects
        for path, subjects in found.items()
        if path == IPM_ROOT or path.startswith(IPM_ROOT + "/")
    }


def _items(path: Path) -> list[ImportItem]:
    entries = list(read_path(path))
    assert all(isinstance(e, ImportItem) for e in entries), [
        e for e in entries if not isinstance(e, ImportItem)
    ]
    return [e for e in entries if isinstance(e, ImportItem)]


def _subject(raw: bytes) -> str:
    return " ".join(str(BytesParser(policy=policy.default).parsebytes(raw)["subject"] or "").split())


def test_enron_pst_matches_pst_extractor_listing(corpus: Path) -> None:
    pst = corpus / "pst/pst-extractor-npm/enron.pst"
    expected = expected_enron(pst.parent / "output.txt")
    assert sum(len(s) for s in expected.values()) == 71
    items = _items(pst)
    assert len(items) == 71 and count_estimate(pst) == 71
    got: dict[str, list[str]] = {}
    for item in items:
        assert item.kind == "message" and len(item.folders) == 1
        got.setdefault(item.folders[0], []).append(_subject(item.raw))
    assert {k: len(v) for k, v in got.items()} == {k: len(v) for k, v in expected.items()}
    for folder, subjects in expected.items():
        assert Counter(" ".join(s.split()) for s in subjects) == Counter(got[folder]), folder
    with_attachments = [i for i in items if b"Content-Disposition: attachment" in i.raw]
    assert sum(i.raw.count(b"Content-Disposition: attachment") for i in with_attachments) == 70


def test_enron_messages_are_deterministic_and_parse(corpus: Path) -> None:
    pst = corpus / "pst/pst-extractor-npm/enron.pst"
    first = [i.raw for i in _items(pst)]
    second = [i.raw for i in _items(pst)]
    assert first == second, "re-importing must give identical bytes (deduplication)"
    for raw in first:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert msg["from"] and msg["date"] and not msg.defects


def test_aleph_test_pst_gives_its_six_messages(corpus: Path) -> None:
    items = _items(corpus / "pst/aleph-ingest-file/testPST.pst")
    assert [i.kind for i in items] == ["message"] * 6
    assert items[0].folders == []  # stored directly in the (French) root of the data file
    subjects = {_subject(i.raw) for i in items}
    assert "Re: Feature Generators" in subjects
    assert '[WEBINAR] - "Introducing Couchbase Server 2.5"' in subjects
    assert all(i.received is not None and "\\Seen" in i.flags for i in items)


def test_passworded_pst_opens_and_contacts_become_vcards(corpus: Path) -> None:
    items = _items(corpus / "pst/java-libpst/passworded.pst")
    assert [(i.kind, i.folders) for i in items] == [("contact", ["Contacts"])] * 2
    vcards = [
        p
        for i in items
        for p in BytesParser(policy=policy.default).parsebytes(i.raw).walk()
        if p.get_content_type() == "text/vcard"
    ]
    assert any("EMAIL;TYPE=INTERNET:contact1@rjohnson.id.au" in p.get_content() for p in vcards)


def test_dist_list_pst_appointment_becomes_icalendar(corpus: Path) -> None:
    items = _items(corpus / "pst/java-libpst/dist-list.pst")
    assert sorted((i.kind, tuple(i.folders)) for i in items) == [
        ("appointment", ("Calendar",)),
        ("contact", ("Contacts",)),
        ("contact", ("Contacts",)),
    ]
    appointment = next(i for i in items if i.kind == "appointment")
    msg = BytesParser(policy=policy.default).parsebytes(appointment.raw)
    ics = next(p for p in msg.walk() if p.get_content_type() == "text/calendar").get_content()
    assert "SUMMARY:Test appointment" in ics
    assert "DTSTART:20160802T150000Z" in ics and "DTEND:20160802T153000Z" in ics


def test_truncated_pst_is_quarantined_with_its_bytes(corpus: Path, tmp_path: Path) -> None:
    head = (corpus / "pst/pst-extractor-npm/enron.pst").read_bytes()[:200_000]
    path = tmp_path / "cut.pst"
    path.write_bytes(head)
    (entry,) = list(read_path(path))
    assert isinstance(entry, Quarantined) and entry.data == head
    assert entry.reason.startswith(
        "Outlook PST/OST file could not be opened (damaged or truncated?): unable to read"
    )
