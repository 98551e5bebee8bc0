"""Objects: put/commit/get, dedup, streaming, chunking, writer lock, retention-aware dedup."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from kustos.vault.errors import LockedError, NotFound
from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import mail, make_vault


def test_put_commit_get_roundtrip(vault: Vault) -> None:
    store = vault.store("acme")
    data = mail(1)
    res = store.put(data, "mail", meta={"mailbox": "a@example.org"})
    assert res.new and res.size == len(data) and res.sha256 == hashlib.sha256(data).hexdigest()
    assert not store.exists(res.id)  # staged, not acknowledged yet
    assert store.commit() == 1
    assert store.get(res.id) == data
    assert store.open(res.id).read() == data
    meta = store.meta(res.id)
    assert meta["kind"] == "mail" and meta["meta"] == {"mailbox": "a@example.org"}
    assert meta["sha256"] == res.sha256
    # A fresh vault object (another process) reads it from the backend alone.
    assert vault.store("acme").get(res.id) == data


def test_dedup_within_customer_not_across(vault: Vault) -> None:
    a, b = vault.store("acme"), vault.store("globex")
    data = mail(2)
    first = a.put(data, "mail")
    again = a.put(data, "mail")
    a.commit()
    assert again.id == first.id and again.new is False and again.stored_size == 0
    third = a.put(data, "mail")
    assert third.new is False
    a.commit()
    other = b.put(data, "mail")
    b.commit()
    assert other.new is True and other.id != first.id  # keyed ids: no cross-customer dedup
    assert vault.stats("acme")["objects"] == 1


def test_stream_put_of_large_object_is_chunked_and_streams_back(vault: Vault) -> None:
    store = vault.store("acme")
    blob = os.urandom(700_000)
    res = store.put(io.BytesIO(blob), "file")
    store.commit()
    assert res.size == len(blob) and res.sha256 == hashlib.sha256(blob).hexdigest()
    assert store.meta(res.id)["chunked"] is True
    assert vault.chunk_count("acme") >= 10
    stream = store.open(res.id)
    parts = []
    while part := stream.read(50_000):
        parts.append(part)
    assert b"".join(parts) == blob
    assert store.get(res.id) == blob
    # An edited copy shares most chunks: it costs far less than the whole object.
    edited = blob[:300_000] + b"EDIT" + blob[300_000:]
    res2 = store.put(edited, "file")
    store.commit()
    assert res2.new and res2.stored_size < len(blob) // 3
    assert store.get(res2.id) == edited


def test_empty_object(vault: Vault) -> None:
    store = vault.store("acme")
    res = store.put(b"", "meta")
    store.commit()
    assert store.get(res.id) == b""


def test_writer_context_commits_and_aborts(vault: Vault) -> None:
    with vault.writer("acme") as w:
        ok = w.put(mail(3), "mail")
    assert vault.store("acme").get(ok.id) == mail(3)
    with pytest.raises(RuntimeError):
        with vault.writer("acme") as w:
            lost = w.put(mail(4), "mail")
            raise RuntimeError("boom")
    assert not vault.store("acme").exists(lost.id)
    with pytest.raises(NotFound):
        vault.store("acme").get(lost.id)


def test_single_writer_per_customer(tmp_path: Path) -> None:
    home = tmp_path / "home"
    v1 = make_vault(home, master_key="A" * 43 + "=")
    v2 = make_vault(home, master_key="A" * 43 + "=")
    s1, s2 = v1.store("acme"), v2.store("acme")
    s1.put(mail(5), "mail")
    with pytest.raises(LockedError, match="acme"):
        s2.put(mail(6), "mail")
    v2.store("globex").put(mail(6), "mail")  # other customers are independent
    v2.store("globex").commit()
    s1.commit()
    res = s2.put(mail(6), "mail")  # lock released by commit
    s2.commit()
    assert s1.get(res.id) == mail(6)  # the reader refreshes on a miss


def test_retention_aware_dedup(vault: Vault) -> None:
    store = vault.store("acme")
    data = mail(7)
    short = store.put(data, "mail", retention_year=2030)
    store.commit()
    longer = store.put(data, "mail", retention_year=2035)  # must not rely on the 2030 pack
    shorter = store.put(data, "mail", retention_year=2031)  # the 2035 copy outlives it
    store.commit()
    assert short.new and longer.new and not shorter.new
    report = store.drop_retention_year(2030)
    assert report["packs"] == 1
    assert store.get(short.id) == data
    assert store.meta(short.id)["retention_year"] == 2035


def test_drop_retention_year_removes_only_that_year(vault: Vault) -> None:
    store = vault.store("acme")
    kept = [store.put(mail(i), "mail", retention_year=2040) for i in range(30)]
    gone = [store.put(mail(100 + i), "mail", retention_year=2030) for i in range(30)]
    forever = store.put(mail(999), "mail")
    store.commit()
    before = vault.stats("acme")
    result = store.drop_retention_year(2030)
    assert result["objects"] == 30 and result["packs"] >= 1 and result["bytes_freed"] > 0
    assert all(not store.exists(r.id) for r in gone)
    assert all(store.get(r.id) == mail(i) for i, r in enumerate(kept))
    assert store.get(forever.id) == mail(999)
    assert vault.stats("acme")["objects"] == before["objects"] - 30
    assert vault.verify("acme").ok
    # The ledger still proves the dropped objects were stored.
    assert store.ledger.proof(gone[0].id).check()


def test_invalid_customer_id_refused(vault: Vault) -> None:
    with pytest.raises(Exception, match="invalid customer id"):
        vault.store("../etc")


def test_sequence_numbers_survive_dropping_the_newest_year(vault: Vault) -> None:
    store = vault.store("acme")
    store.put(mail(1), "mail")
    store.commit()
    last = [store.put(mail(10 + i), "mail", retention_year=2030) for i in range(3)]
    store.commit()
    store.drop_retention_year(2030)  # seals seq 1..4 first, then drops 2..4
    fresh = store.put(mail(50), "mail")
    store.commit()
    assert store.objects()[fresh.id].seq == 5
    assert store.ledger.proof(last[2].id).seq == 4
    assert vault.verify().ok
