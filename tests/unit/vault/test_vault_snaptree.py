"""Snapshot trees: builder from a parent, unchanged subtrees by reference, ls/walk/lookup/diff."""

from __future__ import annotations

import hashlib

import pytest

from kustos.vault.errors import NotFound
from kustos.vault.snaptree import SnapEntry
from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import mail

META = {"eTag": "e1", "cTag": "c1", "owners": ["anna@example.org"],
        "permissions": [{"link": "https://share/x", "roles": ["read"]}], "categories": ["red"]}


def _first(vault: Vault) -> tuple[str, dict[str, bytes]]:
    store = vault.store("acme")
    b = store.snapshots.builder(meta={"plan": "m365"})
    files = {f"docs/sub{d}/f{i}.txt": mail(d * 100 + i) for d in range(3) for i in range(4)}
    for path, data in files.items():
        b.put("anna", path, data, "file", modified="2026-01-01T00:00:00Z", meta=META)
    b.add("anna", "docs", SnapEntry(kind="folder", meta={"eTag": "folder"}))
    b.put("ben", "Inbox/1.eml", mail(999), "mail")
    return b.commit(), files


def test_tree_snapshot_ls_lookup_walk_and_metadata(vault: Vault) -> None:
    sid, files = _first(vault)
    snaps = vault.store("acme").snapshots
    accounts = snaps.ls(sid)
    assert [(r["account"], r["items"]) for r in accounts] == [("anna", 13), ("ben", 1)]
    rows = snaps.ls(sid, "anna", "docs/sub1")
    assert [r["path"] for r in rows] == [f"docs/sub1/f{i}.txt" for i in range(4)]
    row = rows[2]
    assert row["kind"] == "file" and row["size"] == len(mail(102))
    assert row["sha256"] == hashlib.sha256(mail(102)).hexdigest() and row["meta"] == META
    assert row["modified"] == "2026-01-01T00:00:00Z"
    top = snaps.ls(sid, "anna")
    assert top[0]["path"] == "docs" and top[0]["kind"] == "folder" and top[0]["dir"] and top[0]["items"] == 12
    entry = snaps.lookup(sid, "anna", "docs/sub2/f3.txt")
    assert entry is not None and vault.store("acme").get(entry.id or "") == mail(203)
    assert snaps.lookup(sid, "anna", "docs/nope.txt") is None
    walked = dict(snaps.walk(sid, "anna"))
    assert set(walked) == set(files) | {"docs"}
    listing = snaps.list()
    assert listing[0]["items"] == 14 and listing[0]["bytes"] == sum(map(len, files.values())) + len(mail(999))
    assert listing[0]["new_bytes"] > 0
    # The old API still reads a tree snapshot (flattened keys).
    assert snaps.read(sid)["items"]["ben/Inbox/1.eml"]["sha256"] == hashlib.sha256(mail(999)).hexdigest()
    with pytest.raises(NotFound, match="path in snapshot"):
        snaps.ls(sid, "anna", "missing/dir")
    with pytest.raises(ValueError, match="invalid snapshot path"):
        snaps.ls(sid, "anna", "a//b")


def test_child_references_unchanged_subtrees_and_stores_nothing_for_them(vault: Vault) -> None:
    sid, files = _first(vault)
    store = vault.store("acme")
    b = store.snapshots.builder(parent=sid)
    old = b.parent_entry("anna", "docs/sub0/f1.txt")
    assert old is not None and old.meta["eTag"] == "e1"
    b.put("anna", "docs/sub0/f1.txt", b"changed content", "file", meta={"eTag": "e2"})
    b.remove("anna", "docs/sub0/f2.txt")
    puts_before = len(store.entries())
    child = b.commit()
    # New: the content, the changed sub0 node, docs node, account node and root (4 nodes + 1 blob).
    assert len(store.entries()) - puts_before == 5
    snaps = store.snapshots
    assert snaps.diff(sid, child) == {"added": [], "changed": ["anna/docs/sub0/f1.txt"],
                                      "removed": ["anna/docs/sub0/f2.txt"]}
    # Unchanged subtrees are the very same tree objects.
    parent_docs = snaps.trees.slot(snaps.root(sid), ["anna", "docs"])
    child_docs = snaps.trees.slot(snaps.root(child), ["anna", "docs"])
    assert parent_docs and child_docs and parent_docs["t"] != child_docs["t"]
    p1 = snaps.trees.load(parent_docs["t"])["sub1"]["t"]
    c1 = snaps.trees.load(child_docs["t"])["sub1"]["t"]
    assert p1 == c1
    assert snaps.trees.slot(snaps.root(sid), ["ben"]) == snaps.trees.slot(snaps.root(child), ["ben"])
    # The parent is untouched.
    assert snaps.lookup(sid, "anna", "docs/sub0/f2.txt") is not None
    assert store.get(snaps.lookup(child, "anna", "docs/sub0/f1.txt").id or "") == b"changed content"  # type: ignore[union-attr]


def test_full_listing_builder_carries_unchanged_items_over(vault: Vault) -> None:
    sid, files = _first(vault)
    store = vault.store("acme")
    b = store.snapshots.builder(parent=sid, inherit=False)
    b.unchanged("anna", "docs/sub1")  # a whole folder by reference
    b.unchanged("anna", "docs/sub0/f0.txt")
    with pytest.raises(NotFound, match="parent snapshot"):
        b.unchanged("anna", "docs/nothing")
    child = b.commit()
    paths = [p for p, _ in store.snapshots.walk(child, "anna")]
    assert paths == ["docs/sub0/f0.txt"] + [f"docs/sub1/f{i}.txt" for i in range(4)]
    assert store.snapshots.ls(child) == [{"account": "anna", "path": "", "name": "anna", "kind": "account",
                                          "dir": True, "items": 5, "bytes": sum(
                                              len(files[p]) for p in paths)}]


def test_listing_reads_only_the_nodes_on_its_path(vault: Vault) -> None:
    store = vault.store("acme")
    b = store.snapshots.builder()
    for acc in range(5):
        for d in range(5):
            b.put(f"user{acc}", f"d{d}/x.txt", f"{acc}-{d}".encode(), "file")
    sid = b.commit()
    b2 = store.snapshots.builder(parent=sid)
    b2.put("user0", "d0/y.txt", b"new", "file")
    b2.commit()
    vault.forget_store("acme")
    fresh = vault.store("acme")
    loads = []
    real = fresh.ctx.backend.load

    def counting(name: str, offset: int = 0, size: int | None = None) -> bytes:
        loads.append(name.split("/")[2])
        return real(name, offset, size)

    fresh.ctx.backend.load = counting  # type: ignore[method-assign]
    rows = fresh.snapshots.ls(sid, "user3", "d2")
    assert [r["path"] for r in rows] == ["d2/x.txt"]
    # the snapshot document, then root, account node and d2 node: nothing of other snapshots
    assert fresh.snapshots.trees.loads == 3
    # (plus the compression dictionary the nodes were packed with)
    assert sorted(n for n in loads if n != "dicts") == ["packs", "packs", "packs", "snapshots"]


def test_bad_entries_are_refused_with_clear_errors(vault: Vault) -> None:
    store = vault.store("acme")
    b = store.snapshots.builder()
    with pytest.raises(ValueError, match="invalid snapshot item kind"):
        SnapEntry(kind="Bad Kind")
    with pytest.raises(ValueError, match="invalid snapshot account"):
        b.add("", "x", SnapEntry(kind="file"))
    with pytest.raises(ValueError, match="path inside the account"):
        b.add("anna", "", SnapEntry(kind="file"))
    with pytest.raises(NotFound, match="parent snapshot"):
        store.snapshots.builder(parent="nope")


def test_builder_commits_content_in_checkpoints_so_other_writers_get_turns(vault: Vault) -> None:
    store = vault.store("acme")
    b = store.snapshots.builder(flush_items=3)
    b.put("anna", "a", b"1", "file")
    b.put("anna", "b", b"2", "file")
    assert store.has_pending()  # the writer lock is held between checkpoints
    b.put("anna", "c", b"3", "file")
    assert not store.has_pending()
    # Another store (as another worker would) writes while the backup is still open.
    vault.forget_store("acme")
    second = vault.store("acme")
    second.put(mail(1), "mail")
    second.commit()
    sid = b.commit()
    assert [p for p, _ in store.snapshots.walk(sid, "anna")] == ["a", "b", "c"]


def test_diff_right_after_commit_decodes_no_node_the_builder_wrote(vault: Vault) -> None:
    """The timeline and the anomaly check diff a new snapshot against its parent right after the
    backup: the changed nodes were just written by this process and are read from its cache."""
    sid, files = _first(vault)
    store = vault.store("acme")
    child = store.snapshots.builder(parent=sid, meta={"plan": "m365"})
    child.put("anna", "docs/sub1/f2.txt", b"changed", "file", meta=META)
    child.put("anna", "docs/sub2/new.txt", b"new", "file")
    new = child.commit()
    before = store.snapshots.trees.loads
    diff = store.snapshots.diff(sid, new)
    assert diff == {"added": ["anna/docs/sub2/new.txt"], "changed": ["anna/docs/sub1/f2.txt"], "removed": []}
    assert store.snapshots.trees.loads == before
    # A fresh reader (another process) still reads the committed nodes from the store.
    fresh = vault.store("acme")
    fresh.snapshots.trees._cache.clear()
    assert fresh.snapshots.lookup(new, "anna", "docs/sub2/new.txt") is not None
