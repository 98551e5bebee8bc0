"""End-to-end imports of the shared corpus: counts, byte-exact originals, folders, quarantine."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from kustos.archive.models import Message, MessageRef, Quarantine
from kustos.archive.services import imports, messages
from kustos.sources.files import ImportItem, Quarantined, read_path

pytestmark = [pytest.mark.corpus, pytest.mark.django_db]


def test_every_edge_message_is_archived_byte_exact(corpus: Path, archive_customer):
    edge = corpus / "email" / "edge"
    expected: dict[str, bytes] = {}
    quarantined = 0
    for entry in read_path(edge):
        if isinstance(entry, ImportItem):
            expected.setdefault(hashlib.sha256(entry.raw).hexdigest(), entry.raw)
        elif isinstance(entry, Quarantined):
            quarantined += 1
    result = imports.import_paths(archive_customer, "edge@example.org", [edge], workers=2)
    assert result.imported == len(expected)
    assert result.quarantined == quarantined
    assert Quarantine.objects.filter(customer=archive_customer).count() == quarantined
    stored = {m.sha256: m for m in Message.objects.filter(customer=archive_customer)}
    assert set(stored) == set(expected)
    for sha, msg in stored.items():
        assert hashlib.sha256(messages.raw(msg)).hexdigest() == sha
    # gap-free ingest sequence
    seqs = sorted(m.seq for m in stored.values())
    assert seqs == list(range(1, len(seqs) + 1))
    # every .eml file of the set is a message (none quarantined)
    eml_paths = {q.source_ref for q in Quarantine.objects.filter(customer=archive_customer)}
    assert not [p for p in eml_paths if p.endswith(".eml")]

    again = imports.import_paths(archive_customer, "edge@example.org", [edge], workers=1)
    assert again.imported == 0
    assert Message.objects.filter(customer=archive_customer).count() == len(expected)


def test_enron_pst_folders(corpus: Path, archive_customer):
    pst = corpus / "pst" / "pst-extractor-npm" / "enron.pst"
    result = imports.import_paths(archive_customer, "michelle.lokay@enron.example", [pst], workers=1)
    assert result.imported + result.duplicates == 71
    refs = MessageRef.objects.filter(message__customer=archive_customer)
    folders = Counter(refs.values_list("folder__path", flat=True))
    assert sum(folders.values()) == 71
    assert len(folders) >= 2


def test_msg_files_archived_with_original(corpus: Path, archive_customer):
    msg_dir = corpus / "msg"
    result = imports.import_paths(archive_customer, "msg@example.org", [msg_dir], workers=1)
    assert result.imported >= 10
    reasons = {q.source_ref.rsplit("/", 1)[-1]: q.reason for q in Quarantine.objects.filter(customer=archive_customer)}
    assert "not-a-MSG-file.msg" in reasons and reasons["not-a-MSG-file.msg"]
    with_original = Message.objects.filter(customer=archive_customer, original_kind="msg")
    assert with_original.count() >= 10
    sample = with_original.first()
    original = messages.original(sample)
    assert original is not None and original[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
