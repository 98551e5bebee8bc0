"""Snapshots: manifests with parents, list, read, diff."""

from __future__ import annotations

import pytest

from kustos.vault.errors import NotFound
from kustos.vault.snapshots import ItemRef
from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import mail


def test_create_list_read_diff(vault: Vault) -> None:
    store = vault.store("acme")
    a, b, c = (store.put(mail(i), "file") for i in range(3))
    s1 = store.snapshots.create({"docs/a.txt": a.id, "docs/b.txt": ItemRef(b.id, {"mtime": 1})},
                                meta={"plan": "daily"})  # commits staged puts itself
    b2 = store.put(mail(20), "file")
    s2 = store.snapshots.create({"docs/b.txt": {"id": b2.id, "mtime": 2}, "docs/c.txt": c.id}, parent=s1)
    listing = store.snapshots.list()
    assert [s["id"] for s in listing] == [s1, s2]
    assert listing[1]["parent"] == s1 and listing[0]["meta"] == {"plan": "daily"} and listing[1]["items"] == 2
    doc = store.snapshots.read(s2)
    assert doc["items"]["docs/b.txt"] == {"id": b2.id, "mtime": 2}
    assert store.snapshots.diff(s1, s2) == {"added": ["docs/c.txt"], "changed": ["docs/b.txt"],
                                            "removed": ["docs/a.txt"]}
    assert store.snapshots.diff(None, s1)["added"] == ["docs/a.txt", "docs/b.txt"]
    # Self-contained: every item restores from the snapshot alone.
    assert {k: store.get(v["id"]) for k, v in doc["items"].items()} == {"docs/b.txt": mail(20),
                                                                           "docs/c.txt": mail(2)}


def test_snapshot_refuses_missing_objects_and_parents(vault: Vault) -> None:
    store = vault.store("acme")
    with pytest.raises(NotFound, match="snapshot item"):
        store.snapshots.create({"x": "0" * 64})
    ok = store.put(mail(1), "file")
    with pytest.raises(NotFound, match="parent snapshot"):
        store.snapshots.create({"x": ok.id}, parent="nope")
    with pytest.raises(NotFound):
        store.snapshots.read("nope")
