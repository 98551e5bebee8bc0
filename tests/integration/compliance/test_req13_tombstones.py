"""Requirement 13: a deleted message leaves a content-free tombstone (archive id, sequence number,
SHA-256, class, dates, approvers) in the database and in the vault, listed by `kustos tombstones`;
the ingest sequence stays explainable without gaps."""

from __future__ import annotations

from kustos.archive.models import Message
from kustos.core import runtime
from kustos.lifecycle.models import Tombstone
from kustos.lifecycle.services import tombstones
from tests.integration.compliance import retention_world
from tests.integration.compliance.retention_world import approvers, cli, ingest, mail

customer = retention_world.customer
OLD = "Mon, 01 Mar 2010 10:00:00 +0000"
NEW = "Fri, 01 Mar 2024 10:00:00 +0000"


def test_req13_tombstones_are_listed_content_free_and_stored_in_the_vault(customer, capsys):
    old = ingest(customer, [mail(i, OLD, sender="geheim@partner.example", tag="alt") for i in range(2)])
    new = ingest(customer, [mail(0, NEW, tag="neu")])
    before = {m.id: (m.seq, m.sha256) for m in Message.objects.filter(customer=customer)}
    code, run = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2025-01-01")
    assert code == 0 and run["proposed"] == 2
    approvers(customer, "chefin@kunde.example")
    code, _ = cli(capsys, "retention", "approve", run["id"], "--user", "chefin@kunde.example")
    assert code == 0
    code, rows = cli(capsys, "tombstones", "--customer", customer.id)
    assert code == 0
    assert [(r["id"], r["sha256"]) for r in rows] == [(i, before[i][1]) for i in old]
    assert all(r["approved_by"] == ["chefin@kunde.example"] and r["class"] == "" and r["deleted_at"] for r in rows)
    assert set(rows[0]) >= {"id", "sha256", "class", "deleted_at", "approved_by"}
    text = repr(list(Tombstone.objects.filter(customer=customer).values()))
    assert "geheim" not in text and "alt message" not in text  # no address, no subject
    # the sequence: every number is either a message or a tombstone
    seqs = set(Message.objects.filter(customer=customer).values_list("seq", flat=True))
    seqs |= set(Tombstone.objects.filter(customer=customer).values_list("seq", flat=True))
    assert seqs == {1, 2, 3} and Message.objects.get(id=new[0]).seq == 3
    # the vault holds them too, so recover can skip what was deleted on purpose
    store = runtime.store_for(customer.id)
    store.refresh()
    assert tombstones.vault_sha256s(store) == {before[i][1] for i in old}
    objects = [e for e in store.objects().values() if e.kind == tombstones.KIND]
    assert len(objects) == 1 and objects[0].year is None
    raw = store.get(objects[0].id)
    assert b"geheim" not in raw and b"alt message" not in raw
    doc = tombstones.decode(raw)
    assert doc["proposal"] == run["id"] and [t["message_id"] for t in doc["tombstones"]] == old


def test_req13_no_tombstones_yet_is_an_empty_list(customer, capsys):
    code, rows = cli(capsys, "tombstones", "--customer", customer.id)
    assert code == 0 and rows == []
    code, err = cli(capsys, "tombstones", "--customer", "cu_nobody")
    assert code == 1 and err.startswith("kustos: error:")
