"""A writer re-reads the index only when another writer held the customer's lock since it did."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest

from kustos.vault import index as idx
from kustos.vault.generation import NAME
from tests.unit.vault.vault_helpers import make_vault


@pytest.fixture
def listings(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = idx.load_index

    def counting(backend, cache, customer_id, *a, **k):
        calls.append(customer_id)
        return real(backend, cache, customer_id, *a, **k)

    monkeypatch.setattr(idx, "load_index", counting)
    return calls


@pytest.fixture
def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_a_lone_writer_does_not_list_the_index_per_commit(tmp_path: Path, key: str, listings: list[str]):
    vault = make_vault(tmp_path / "home", master_key=key)
    store = vault.store("cust1")
    store.put(b"first", kind="message")
    store.commit()
    before = len(listings)
    for n in range(5):
        store.put(f"more {n}".encode(), kind="message")
        store.commit()
    assert len(listings) == before  # nobody else held the lock: no listing at all
    assert len(vault.backend.load(f"customers/cust1/{NAME}")) == 16


def test_a_commit_by_another_writer_is_seen_and_sequence_numbers_never_repeat(tmp_path: Path, key: str,
                                                                              listings: list[str]):
    mine = make_vault(tmp_path / "home", master_key=key).store("cust1")
    theirs = make_vault(tmp_path / "home", master_key=key).store("cust1")  # as in another process
    mine.put(b"a1", kind="message")
    mine.commit()
    theirs.put(b"b1", kind="message")
    theirs.commit()
    before = len(listings)
    mine.put(b"a2", kind="message")
    mine.commit()
    assert len(listings) > before  # the other writer's token made it read the index again
    entries = [e for e in mine.entries() if e.seq]
    assert sorted(e.seq for e in entries) == [1, 2, 3]
    assert {mine.get(e.id) for e in entries} == {b"a1", b"b1", b"a2"}
    assert mine.ledger.unsealed[-1][0] == 3  # the ledger knows the other writer's entry too


def test_a_writer_that_leaves_no_token_is_seen_within_max_age(tmp_path: Path, key: str, listings: list[str]):
    store = make_vault(tmp_path / "home", master_key=key).store("cust1")
    store.put(b"a1", kind="message")
    store.commit()
    store.generation.max_age = 0.05
    time.sleep(0.1)
    before = len(listings)
    store.put(b"a2", kind="message")
    store.commit()
    assert len(listings) == before + 1
