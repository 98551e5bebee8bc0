"""Per-customer zstd dictionaries: trained automatically, versioned, old objects stay readable."""

from __future__ import annotations

from pathlib import Path

from kustos.vault.compress import KEEP_DECOMPRESSORS
from kustos.vault.options import VaultOptions
from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import mail, make_vault


def test_dictionary_is_trained_and_versioned(vault: Vault, tmp_path: Path) -> None:
    store = vault.store("acme")
    results = [store.put(mail(i, 800), "mail") for i in range(260)]
    store.commit()
    assert store.compressor.versions() == [1, 2]
    methods = [store.objects()[r.id].method for r in results]
    assert methods[0] in ("z", "n") and methods[100] == "d1" and methods[-1] == "d2"
    before = [r.stored_size for r in results[:39]]
    after = [r.stored_size for r in results[220:259]]
    assert sum(after) < 0.8 * sum(before)  # the dictionary pays off on small mails
    # Every version stays readable from the vault alone.
    for i in (0, 100, 259):
        assert vault.store("acme").get(results[i].id) == mail(i, 800)
    assert vault.verify("acme").ok


def test_dictionaries_are_per_customer(tmp_path: Path) -> None:
    vault = make_vault(tmp_path, VaultOptions(train_at=30, retrain_every=0, train_in_background=False, dict_size=8 * 1024))
    a = vault.store("acme")
    for i in range(35):
        a.put(mail(i, 600), "mail")
    a.commit()
    assert a.compressor.versions() == [1]
    assert vault.store("globex").compressor.versions() == []


def test_background_training_installs_before_use(tmp_path: Path) -> None:
    options = VaultOptions(train_at=30, retrain_every=25, dict_size=8 * 1024, train_in_background=True)
    store = make_vault(tmp_path, options).store("acme")
    first = [store.put(mail(i, 600), "mail") for i in range(56)]  # v1 inline, v2 on the worker
    store.compressor.finish_training()  # the worker's dictionary is stored, then used
    later = store.put_many([mail(100 + i, 600) for i in range(20)], "mail")
    store.commit()
    assert store.compressor.versions() == [1, 2]
    assert {store.objects()[r.id].method for r in later} == {"d2"}
    assert all(store.get(r.id) == mail(i, 600) for i, r in enumerate(first))


def test_only_the_current_dictionary_is_kept_for_writing(tmp_path: Path) -> None:
    """Retraining retires the older dictionaries' compressors and tables (each costs megabytes;
    kept, a long import grew with every retraining); objects of every version stay readable and
    the decompressors kept for reading are bounded."""
    options = VaultOptions(train_at=30, retrain_every=25, dict_size=8 * 1024, train_in_background=False)
    vault = make_vault(tmp_path, options)
    store = vault.store("acme")
    results = []
    for i in range(400):
        results.append(store.put(mail(i, 700), "mail"))
        if i % 50 == 49:
            store.put_many([mail(10_000 + i + k, 700) for k in range(10)], "mail")  # the bulk path too
    store.commit()
    comp = store.compressor
    assert len(comp.versions()) >= 10
    assert set(comp._comp) <= {comp.current} and set(comp._bulk) <= {comp.current}
    assert set(comp._dicts) <= {comp.current}
    methods = {store.objects()[r.id].method for r in results}
    assert len({m for m in methods if m.startswith("d")}) >= 10
    reader = vault.store("acme")
    assert all(reader.get(r.id) == mail(i, 700) for i, r in enumerate(results))
    assert len(reader.compressor._decomp) <= KEEP_DECOMPRESSORS
