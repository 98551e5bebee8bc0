"""Retention policies, forget, prune (repack, index compaction, archive objects survive), usage."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from kustos.vault.index import BACKUP
from kustos.vault.policy import Policy, select
from kustos.vault.store import CustomerStore
from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import mail


def _times(*stamps: str) -> list[tuple[str, datetime]]:
    return [(s, datetime.fromisoformat(s)) for s in stamps]


def test_policy_follows_restic_forget_semantics() -> None:
    snaps = _times("2026-01-01T10:00", "2026-01-01T18:00", "2026-01-02T09:00", "2026-01-03T09:00",
                   "2026-02-10T09:00", "2026-02-20T09:00", "2025-12-31T23:00", "2024-06-01T00:00")
    assert select(Policy(), snaps)[1] == []  # keep all by default
    keep, remove = select(Policy(last=2), snaps)
    assert keep == ["2026-02-20T09:00", "2026-02-10T09:00"] and len(remove) == 6
    keep, _ = select(Policy(daily=3), snaps)
    assert keep == ["2026-02-20T09:00", "2026-02-10T09:00", "2026-01-03T09:00"]
    keep, _ = select(Policy(monthly=3), snaps)  # the newest of each of the 3 newest months
    assert keep == ["2026-02-20T09:00", "2026-01-03T09:00", "2025-12-31T23:00"]
    keep, _ = select(Policy(yearly=5), snaps)
    assert keep == ["2026-02-20T09:00", "2025-12-31T23:00", "2024-06-01T00:00"]
    keep, _ = select(Policy(last=1, daily=2, yearly=2), snaps)  # union of the rules
    assert keep == ["2026-02-20T09:00", "2026-02-10T09:00", "2025-12-31T23:00"]
    with pytest.raises(ValueError, match="retention daily must be a whole number"):
        Policy(daily=-1)
    with pytest.raises(ValueError, match="unknown retention rule 'days'"):
        Policy.from_dict({"days": 3})


def _backup(store: CustomerStore, parent: str | None, files: dict[str, bytes], plan: str = "p1") -> str:
    b = store.snapshots.builder(parent=parent, meta={"plan": plan}, inherit=False)
    for path, data in files.items():
        old = b.parent_entry("anna", path)
        if old is not None and old.sha256 == hashlib.sha256(data).hexdigest():
            b.unchanged("anna", path)
        else:
            b.put("anna", path, data, "file", meta={"eTag": hashlib.sha256(data).hexdigest()[:8]})
    return b.commit()


def _restores(store: CustomerStore, sid: str) -> dict[str, bytes]:
    out = {}
    for path, entry in store.snapshots.walk(sid, "anna"):
        data = store.get(entry.id or "")
        assert hashlib.sha256(data).hexdigest() == entry.sha256
        out[path] = data
    return out


def _scan_pack_bytes(vault: Vault, cid: str) -> int:
    return sum(vault.backend.info(n).size for n in vault.backend.list(f"customers/{cid}/packs/"))


def test_forget_and_prune_free_backup_data_and_never_archive_mail(vault: Vault) -> None:
    store = vault.store("acme")
    archived = [store.put(mail(i), "mail", retention_year=2030 if i % 2 else None).id for i in range(20)]
    store.commit()
    shared = mail(5)  # archive mail that a backup also holds: stored once, in the archive pool
    sids = []
    files = {f"f{i}.txt": mail(100 + i) for i in range(30)}
    files["shared.eml"] = shared
    parent = None
    for round_ in range(4):
        for i in range(round_ * 5, round_ * 5 + 8):
            files[f"f{i}.txt"] = mail(1000 * (round_ + 1) + i, size=4000)
        parent = _backup(store, parent, files)
        sids.append(parent)
    archive_after_backup = store.put(mail(1004, size=4000), "mail").id  # content first put by a backup
    store.commit()
    assert store.get(archive_after_backup) == mail(1004, size=4000)
    before = store.usage()
    assert before["backup_stored_bytes"] > 0 and before["stored_bytes"] == _scan_pack_bytes(vault, "acme")
    index_files_before = len(store.index_files)

    removed = store.forget(Policy(last=1))
    assert removed == sids[:3][::-1]
    assert [s["id"] for s in store.snapshots.list()] == [sids[3]]
    result = store.prune()
    assert result["objects_removed"] > 0 and result["packs_deleted"] > 0 and result["bytes_freed"] > 0
    after = store.usage()
    assert after["backup_stored_bytes"] < before["backup_stored_bytes"]
    assert after["stored_bytes"] == _scan_pack_bytes(vault, "acme")  # tracked = scan, after repacking
    assert after["archive_stored_bytes"] == before["archive_stored_bytes"]
    assert len(store.index_files) < index_files_before  # compacted: one per group
    assert len(store.index_files) == 3  # keep, 2030, backup
    # Archive mail survives, including content a backup put first and every retention group.
    vault.forget_store("acme")
    fresh = vault.store("acme")
    for i, oid in enumerate(archived):
        assert fresh.get(oid) == mail(i)
    assert fresh.get(archive_after_backup) == mail(1004, size=4000)
    assert _restores(fresh, sids[3]) == files
    assert vault.verify("acme").ok
    # Nothing left to do: a second prune removes nothing.
    again = store.prune()
    assert again["objects_removed"] == 0 and again["packs_deleted"] == 0


def test_forget_matches_plan_and_keeps_all_by_default(vault: Vault) -> None:
    store = vault.store("acme")
    a1 = _backup(store, None, {"a": b"1"}, plan="a")
    b1 = _backup(store, None, {"b": b"2"}, plan="b")
    a2 = _backup(store, a1, {"a": b"3"}, plan="a")
    assert store.forget(Policy()) == []
    assert store.forget(Policy(last=1), match={"plan": "a"}) == [a1]
    assert {s["id"] for s in store.snapshots.list()} == {b1, a2}


def test_partly_used_packs_are_repacked(vault: Vault) -> None:
    store = vault.store("acme")
    big = {f"f{i}": mail(i, size=6000) for i in range(40)}  # several packs of 32 KiB
    s1 = _backup(store, None, big)
    half = {k: v for i, (k, v) in enumerate(big.items()) if i % 2 == 0}
    s2 = _backup(store, s1, half)
    store.forget(Policy(last=1))
    result = store.prune()
    assert result["packs_repacked"] > 0
    assert _restores(store, s2) == half
    usage = store.usage()
    assert usage["stored_bytes"] == _scan_pack_bytes(vault, "acme")
    # only live data is left in backup packs: about half of what the first backup stored
    assert vault.verify("acme").ok


def test_snapshot_new_bytes_and_usage_track_commits(vault: Vault) -> None:
    store = vault.store("acme")
    s1 = _backup(store, None, {f"f{i}": mail(i) for i in range(10)})
    s2 = _backup(store, s1, {f"f{i}": mail(i) for i in range(10)})  # nothing new but the tree root
    rows = {r["id"]: r for r in store.snapshots.list()}
    assert rows[s1]["new_bytes"] > 10 * 200 and rows[s2]["new_bytes"] == 0
    usage = store.usage()
    assert usage["stored_bytes"] == _scan_pack_bytes(vault, "acme")
    assert vault.stats("acme") == {k: usage[k] for k in ("raw_bytes", "stored_bytes", "objects", "packs")}
    assert usage["backup_objects"] == usage["objects"]


def test_backup_pool_refuses_a_retention_year(vault: Vault) -> None:
    with pytest.raises(ValueError, match="backup objects have no retention year"):
        vault.store("acme").put(b"x", "file", retention_year=2030, pool=BACKUP)
    with pytest.raises(ValueError, match="unknown object pool"):
        vault.store("acme").put(b"x", "file", pool="other")


def test_old_snapshots_outlive_their_parent_being_forgotten(vault: Vault) -> None:
    store = vault.store("acme")
    s1 = _backup(store, None, {"a": b"one", "b": b"two"})
    s2 = _backup(store, s1, {"a": b"one", "b": b"two", "c": b"three"})
    store.forget(Policy(last=1))
    store.prune()
    assert _restores(store, s2) == {"a": b"one", "b": b"two", "c": b"three"}


def test_a_reader_listing_before_a_compaction_still_sees_every_object(vault: Vault) -> None:
    store = vault.store("acme")
    ids = [store.put(mail(i), "mail").id for i in range(5)]
    store.commit()
    ids += [store.put(mail(10 + i), "mail").id for i in range(5)]
    store.commit()
    s1 = _backup(store, None, {"a": b"1"})
    prefix = "customers/acme/index/"
    stale = list(vault.backend.list(prefix))
    store.prune()  # compacts: the listed index files are replaced by new ones
    assert len(set(stale) - set(vault.backend.list(prefix))) == 2  # the two archive index files
    real = vault.backend.list
    calls = []

    def racing_list(p: str = "") -> object:
        calls.append(p)
        return iter(stale) if p == prefix and len(calls) == 1 else real(p)

    vault.backend.list = racing_list  # type: ignore[method-assign, assignment]
    vault.cache.drop("acme")
    vault.forget_store("acme")
    fresh = vault.store("acme")
    assert set(ids) <= set(fresh.objects()) and fresh.snapshots.lookup(s1, "anna", "a") is not None
