"""verify names damaged and missing items; recover rebuilds caches; gc removes leftovers."""

from __future__ import annotations

import os
from pathlib import Path

from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import mail, make_vault


def _pack_of(vault: Vault, customer: str, oid: str) -> tuple[Path, int, int]:
    e = vault.store(customer).objects()[oid]
    return Path(vault.backend.properties()["root"]) / "customers" / customer / e.pack, e.offset, e.length


def test_flipped_byte_is_named(vault: Vault) -> None:
    store = vault.store("acme")
    results = [store.put(mail(i), "mail") for i in range(40)]
    store.commit()
    assert vault.verify().ok
    victim = results[17]
    path, offset, length = _pack_of(vault, "acme", victim.id)
    raw = bytearray(path.read_bytes())
    raw[offset + length // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    report = vault.verify()
    assert not report.ok
    assert [d["item"] for d in report.damaged] == [victim.id]
    assert "authentication failed" in report.damaged[0]["reason"]
    assert report.missing == []
    assert report.checked >= 40


def test_missing_pack_and_damaged_index_are_reported(vault: Vault) -> None:
    store = vault.store("acme")
    results = [store.put(mail(i), "mail") for i in range(40)]
    store.commit()
    path, _, _ = _pack_of(vault, "acme", results[0].id)
    in_pack = {oid for oid, e in store.objects().items() if e.pack == path.relative_to(path.parents[2]).as_posix()}
    path.unlink()
    report = vault.verify("acme")
    assert not report.ok and {m["item"] for m in report.missing} == in_pack
    index_file = next((Path(vault.backend.properties()["root"]) / "customers" / "acme" / "index").rglob("*-*"))
    raw = bytearray(index_file.read_bytes())
    raw[-1] ^= 0xFF  # always a change (a fixed replacement byte could equal the old one)
    index_file.write_bytes(bytes(raw))
    report = make_vault_like(vault).verify("acme")
    assert any(d.get("type") == "index" for d in report.damaged)


def make_vault_like(vault: Vault) -> Vault:
    """A second Vault object on the same backend (no shared in-memory index)."""
    return Vault(vault.ctx, vault.keys.master)


def test_damaged_ledger_batch_is_reported(vault: Vault) -> None:
    store = vault.store("acme")
    store.put(mail(1), "mail")
    store.commit()
    store.ledger.seal(force=True)
    batch = next((Path(vault.backend.properties()["root"]) / "customers" / "acme" / "ledger").iterdir())
    raw = bytearray(batch.read_bytes())
    raw[-5] ^= 0xFF
    batch.write_bytes(bytes(raw))
    report = vault.verify()
    assert [d["type"] for d in report.damaged] == ["ledger"]


def test_recover_rebuilds_from_vault_alone(tmp_path: Path) -> None:
    key = os.urandom(32).hex()
    vault = make_vault(tmp_path, master_key=key)
    store = vault.store("acme")
    ids = [store.put(mail(i), "mail").id for i in range(30)]
    store.commit()
    cache = tmp_path / "cache" / "vault" / "acme.idx"
    fresh = make_vault(tmp_path, master_key=key)
    fresh.store("acme")
    assert cache.exists()
    cache.write_bytes(b"garbage")
    result = make_vault(tmp_path, master_key=key).recover()
    assert result["customers"] == 1 and result["objects"] == 30 and result["damaged_index_files"] == []
    assert make_vault(tmp_path, master_key=key).store("acme").get(ids[3]) == mail(3)


def test_gc_removes_only_unreferenced_packs_after_grace(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    store = vault.store("acme")
    kept = [store.put(mail(i), "mail") for i in range(20)]
    store.commit()
    for _ in range(40):  # a writer that dies before commit leaves full packs behind
        store.put(os.urandom(3000), "mail")
    store.abort()
    assert vault.gc(grace_seconds=3600)["packs_deleted"] == 0  # still within the grace period
    result = vault.gc(grace_seconds=0)
    assert result["packs_deleted"] >= 2 and result["bytes_freed"] > 90_000
    assert all(store.get(r.id) == mail(i) for i, r in enumerate(kept))
    assert vault.verify().ok
    assert vault.gc(grace_seconds=0)["packs_deleted"] == 0
