"""EML, EMLX, MBOX and Maildir readers on the shared corpus (email/edge)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from kustos.sources.files import ImportItem, Quarantined, Skipped, count_estimate, read_path

pytestmark = pytest.mark.corpus

MBOX_COUNTS = {
    "got-your-back/google-takeout/takeout.mbox": 39,
    "got-your-back/vault-export-mbox/ubuntu_me@u.jaylee.us_0.mbox": 53,
    "got-your-back/historic-public-mbox/sample.mbox": 15,
    "got-your-back/historic-public-mbox/odd-mails.mbox": 6,
    "got-your-back/historic-public-mbox/mozillaes.mbox": 35,
    "got-your-back/historic-public-mbox/rfc2047-samples.mbox": 11,
    "spamassassin-t-data/nice.mbox": 3,
    "aleph-ingest-file/plan.mbox": 1,
    "mimekit/mbox/simple.mbox.txt": 3,
    # Body lines "From Russia with love" (after a blank line) are not separators.
    "mimekit/mbox/unmunged.mbox.txt": 2,
    # "From time to time" in the body is not a separator either (Python's mailbox says 2).
    "cpython-test_email/mailbox_01.mbox": 1,
}


def _items(path: Path) -> list[ImportItem]:
    return [e for e in read_path(path) if isinstance(e, ImportItem)]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_single_eml_files_are_byte_exact(corpus: Path) -> None:
    edge = corpus / "email/edge"
    files = [
        *sorted((edge / "aleph-ingest-file").glob("*.eml")),
        *sorted(p for p in (edge / "enmime").rglob("*.raw") if p.name != "erroneous.raw"),
        *sorted((edge / "cpython-test_email").glob("msg_*.txt")),
        *sorted((edge / "stalwart-mail-parser/eml").rglob("*.eml")),
        *sorted((edge / "flanker").rglob("*.eml")),
        *sorted((edge / "piler").rglob("*.eml")),
    ]
    assert len(files) > 200
    for path in files:
        entries = list(read_path(path))
        assert len(entries) == 1 and isinstance(entries[0], ImportItem), path
        assert _sha(entries[0].raw) == _sha(path.read_bytes()), path
        assert entries[0].folders == []


def test_non_mail_named_directly_is_quarantined(corpus: Path) -> None:
    path = corpus / "email/edge/enmime/mail/erroneous.raw"
    (entry,) = list(read_path(path))
    assert isinstance(entry, Quarantined) and entry.data == path.read_bytes()
    assert entry.reason.startswith("unrecognised file format: it starts with text that is not a mail header")


def test_eml_starting_with_from_line_is_one_message(corpus: Path) -> None:
    path = corpus / "email/edge/notmuch/insert/mbox-attachment.eml"
    (item,) = _items(path)
    assert item.raw == path.read_bytes()


def test_emlx_files_yield_the_counted_message_bytes(corpus: Path) -> None:
    for name in ("plaintext.emlx", "richtext.emlx"):
        data = (corpus / "email/edge/aleph-ingest-file" / name).read_bytes()
        first, _, rest = data.partition(b"\n")
        (item,) = _items(corpus / "email/edge/aleph-ingest-file" / name)
        assert item.raw == rest[: int(first)]
        assert not item.raw.rstrip().endswith(b"</plist>")


@pytest.mark.parametrize("name", ["content-length", "issue1189"])
def test_mimekit_mbox_offsets(corpus: Path, name: str) -> None:
    base = corpus / "email/edge/mimekit/mbox"
    data = (base / f"{name}.mbox.txt").read_bytes()
    expected = json.loads((base / f"{name}.unix-offsets.json").read_text())
    items = _items(base / f"{name}.mbox.txt")
    assert len(items) == len(expected)
    for item, want in zip(items, expected, strict=True):
        assert _sha(item.raw) == _sha(data[want["beginOffset"] : want["endOffset"]])


def test_mbox_message_counts(corpus: Path) -> None:
    edge = corpus / "email/edge"
    got = {rel: len(_items(edge / rel)) for rel in MBOX_COUNTS}
    assert got == MBOX_COUNTS
    assert count_estimate(edge / "got-your-back/google-takeout/takeout.mbox") == 39


def test_takeout_labels_become_folders(corpus: Path) -> None:
    items = _items(corpus / "email/edge/got-your-back/google-takeout/takeout.mbox")
    folders = Counter(f for i in items for f in i.folders)
    assert len(items) == 39
    assert folders["takeout"] == 37  # two messages carry only the Czech labels
    assert folders["1.Organizační"] == 2 and folders["☯"] == 8
    assert folders["Inbox"] == 27 and folders["Archived"] == 10
    assert folders["X/@s-itsolution.cz (2011-2015)/Procesy/Resource Man. (PLAKA,CLARA2)"] == 1
    assert folders["3. Culture, Hledání ztraceného času"] == 1
    assert "Unread" not in folders and "Important" not in folders
    unread = [i for i in items if "\\Seen" not in i.flags]
    assert len(unread) == 29  # the X-Gmail-Labels lines that contain Unread


def _expected_maildir(root: Path, plus: bool) -> Counter[str]:
    """Folder → number of message files, computed from the tree (cur/new, not hidden)."""
    want: Counter[str] = Counter()
    for path in root.rglob("*"):
        if path.is_file() and path.parent.name in ("cur", "new") and not path.name.startswith("."):
            rel = path.parent.parent.relative_to(root)
            parts = [p for p in rel.parts]
            if plus and parts and parts[0].startswith("."):
                parts = [*parts[0][1:].split(".")]
            want["/".join(parts) or "INBOX"] += 1
    return want


def test_stalwart_maildir_plus_plus(corpus: Path) -> None:
    root = corpus / "email/edge/stalwart-mail-parser/maildir"
    items = _items(root)
    got = Counter(i.folders[0] for i in items)
    assert got == _expected_maildir(root, plus=True)
    assert got == {"INBOX": 2, "My Folder": 2, "My Folder/Nested Folder": 2}
    for item in items:
        assert item.raw == Path(item.source_path).read_bytes()
    flags = {Path(i.source_path).name: i.flags for i in items}
    assert flags["1035478339.27041_118.foo.org,S=1000,W=1030;2,TDR"] == ["\\Draft", "\\Answered", "\\Deleted"]


@pytest.mark.parametrize("tree", ["mu", "notmuch"])
def test_maildir_trees_folders_and_counts(corpus: Path, tree: str) -> None:
    root = corpus / "email/edge" / tree
    entries = list(read_path(root))
    items = [e for e in entries if isinstance(e, ImportItem)]
    in_maildirs = Counter(i.folders[0] for i in items if Path(i.source_path).parent.name in ("cur", "new"))
    assert in_maildirs == _expected_maildir(root, plus=False)
    # Everything else is a loose file: imported with its directory as folder, or reported.
    loose = [e for e in entries if Path(e.source_path).parent.name not in ("cur", "new")]
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and p.parent.name not in ("cur", "new", "tmp") and not p.name.startswith(".")
    ]
    assert len(loose) == len(files)
    for entry in loose:
        if isinstance(entry, ImportItem):
            rel = Path(entry.source_path).parent.relative_to(root)
            assert entry.folders == ([str(rel)] if str(rel) != "." else [])
            assert entry.raw == Path(entry.source_path).read_bytes()
        else:
            assert isinstance(entry, Skipped) and Path(entry.source_path).name == "README"
    assert count_estimate(root) == len(entries)


def test_whole_edge_set_imports_every_message_byte_exact(corpus: Path) -> None:
    """Item 7 of issue 4: every message under email/edge comes back with its exact bytes."""
    counts: Counter[str] = Counter()
    current: tuple[str, bytes] = ("", b"")
    for entry in read_path(corpus / "email/edge"):
        counts[type(entry).__name__] += 1
        if isinstance(entry, Skipped):
            assert Path(entry.source_path).suffix.lower() not in (".eml", ".emlx", ".mbox", ".msg")
            assert entry.reason.startswith("not a mail file: ")
            continue
        assert isinstance(entry, ImportItem), entry
        file = entry.source_path.split("#")[0]
        if current[0] != file:
            current = (file, Path(file).read_bytes())
        if "#" in entry.source_path or file.endswith(".emlx"):
            assert entry.raw in current[1], entry.source_path  # a slice of the container
        else:
            assert _sha(entry.raw) == _sha(current[1]), entry.source_path
    # 1390 messages; the rest are fixtures' companions (JSON/HTML/TNEF/expected outputs).
    assert counts == {"ImportItem": 1390, "Skipped": 317}
