"""Change sets from two real snapshot trees in an in-memory vault."""

from __future__ import annotations

import random
from pathlib import Path

from kustos.backupguard import (
    ENCRYPTED_CONTENT,
    EXTENSION_CHANGE,
    MASS_DELETION,
    MASS_MODIFICATION,
    assess,
    changes_between,
)
from kustos.vault.factory import open_vault
from kustos.vault.snaptree import SnapEntry
from kustos.vault.vault import Vault
from tests.unit.backupguard.guard_data import text
from tests.unit.vault.vault_helpers import SMALL, make_settings


def _vault(tmp_path: Path) -> Vault:
    return open_vault(make_settings(tmp_path, vault_url="memory://guard-" + tmp_path.name), SMALL)


def _first(vault: Vault, rng: random.Random) -> tuple[str, dict[str, bytes]]:
    b = vault.store("acme").snapshots.builder(meta={"plan": "m365"})
    files = {f"Documents/d{i % 5}/note{i}.txt": text(rng, 3000 + i) for i in range(80)}
    for path, data in files.items():
        b.put("anna", path, data, "file", meta={"eTag": "1"})
    b.add("anna", "Documents", SnapEntry(kind="folder"))
    b.put("ben", "Inbox/1.eml", text(rng), "mail")
    return b.commit(), files


def test_ransomware_between_two_vault_snapshots(tmp_path: Path) -> None:
    vault, rng = _vault(tmp_path), random.Random(1)
    first, files = _first(vault, rng)
    store = vault.store("acme")
    b = store.snapshots.builder(parent=first)
    victims = sorted(files)[:70]
    for path in victims:
        b.remove("anna", path)
        b.put("anna", path + ".locked", rng.randbytes(len(files[path])), "file")
    second = b.commit()

    sets = changes_between(store, first, second)
    assert list(sets) == ["anna"]  # ben did not change
    cs = sets["anna"]
    assert cs.files_before == 81  # 80 files and the folder item
    assert len(cs.modified) == 70 and cs.added == [] and cs.deleted == []
    assert {c.previous_path for c in cs.modified} == set(victims)
    assert all(c.entropy is not None and c.entropy > 7.8 and c.previous_entropy is None for c in cs.modified)
    result = assess(cs, None, "2026-12-06")
    assert result.kinds == {ENCRYPTED_CONTENT, EXTENSION_CHANGE, MASS_MODIFICATION}


def test_normal_changes_metadata_only_and_mass_deletion(tmp_path: Path) -> None:
    vault, rng = _vault(tmp_path), random.Random(2)
    first, files = _first(vault, rng)
    store = vault.store("acme")
    b = store.snapshots.builder(parent=first)
    paths = sorted(files)
    for path in paths[:5]:
        b.put("anna", path, files[path] + b" edited", "file", meta={"eTag": "2"})
    for path in paths[5:8]:  # a new sharing link: same content, other metadata
        b.put("anna", path, files[path], "file", meta={"eTag": "1", "permissions": ["link"]})
    b.put("anna", "Documents/photos.zip", rng.randbytes(300_000), "file")
    b.remove("anna", paths[9])
    second = b.commit()
    assert len(store.snapshots.diff(first, second)["changed"]) == 8

    cs = changes_between(store, first, second)["anna"]
    assert sorted(c.path for c in cs.modified) == paths[:5]
    assert all(c.entropy is not None and c.entropy < 5.5 and c.previous_entropy is not None
               and c.previous_entropy < 5.5 for c in cs.modified)
    assert [c.path for c in cs.added] == ["Documents/photos.zip"] and [c.path for c in cs.deleted] == [paths[9]]
    assert cs.added[0].sample_size == 64 * 1024
    normal = assess(cs, None, "2026-12-06")
    assert normal.findings == []

    b = store.snapshots.builder(parent=second)
    for path in paths[10:70]:
        b.remove("anna", path)
    third = b.commit()
    gone = changes_between(store, second, third, account="anna")["anna"]
    assert len(gone.deleted) == 60
    assert assess(gone, normal.baseline, "2026-12-07").kinds == {MASS_DELETION}
    assert changes_between(store, second, third, account="ben") == {}


def test_entropy_recorded_by_the_sink_is_used_without_reading(tmp_path: Path) -> None:
    vault, rng = _vault(tmp_path), random.Random(3)
    store = vault.store("acme")
    b = store.snapshots.builder()
    b.put("anna", "a.bin", text(rng), "file", meta={"entropy": 4.2, "entropy_sample": 5000})
    first = b.commit()
    b = store.snapshots.builder(parent=first)
    b.put("anna", "a.bin", text(rng), "file", meta={"entropy": 7.99, "entropy_sample": 65536})
    second = b.commit()
    (change,) = changes_between(store, first, second, read_content=False)["anna"].changes
    assert (change.op, change.entropy, change.sample_size, change.previous_entropy) == ("modified", 7.99, 65536, 4.2)
    (unread,) = changes_between(store, None, second, read_content=False)["anna"].changes
    assert (unread.op, unread.previous_entropy) == ("added", None)
