"""Expunge (approved deletions, requirement 11): chosen archive objects leave the vault — their
packs rewritten without them, a fully expired year dropped whole — everything else stays
readable, verification stays green, a crash at any step leaves a valid vault."""

from __future__ import annotations

import os

import pytest

from kustos.vault.expunge import expunge, expunge_store
from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import mail


def _packs(vault: Vault, cid: str, group: str) -> list[str]:
    return list(vault.backend.list(f"customers/{cid}/packs/{group}/"))


def _fill(vault: Vault, cid: str) -> dict[str, list[str]]:
    store = vault.store(cid)
    ids = {"2020": [store.put(mail(i), kind="mail", retention_year=2020).id for i in range(6)],
           "2022": [store.put(mail(100 + i), kind="mail", retention_year=2022).id for i in range(6)]}
    store.put(b'{"mailrefs": []}', kind="mailrefs", retention_year=2020)
    big = os.urandom(300 * 1024)  # chunked; a second object shares most chunks
    ids["big"] = [store.put(big, kind="mail", retention_year=2022).id,
                  store.put(big + b"tail", kind="mail", retention_year=2022).id]
    store.commit()
    return ids


def test_expunge_rewrites_packs_keeps_the_rest_and_verifies(vault: Vault) -> None:
    ids = _fill(vault, "c1")
    store = vault.store("c1")
    keep = {i: store.get(i) for i in ids["2020"][3:] + ids["2022"] + ids["big"][1:]}
    objects = store.objects()
    sealed = [vault.backend.load(f"customers/c1/{objects[i].pack}", objects[i].offset, objects[i].length)
              for i in ids["2020"][:3]]
    result = expunge_store(store, set(ids["2020"][:3]) | {ids["big"][0]})
    assert result["objects_removed"] == 4 and result["packs_deleted"] >= 1 and result["missing"] == 0
    store.refresh()
    for oid in ids["2020"][:3] + ids["big"][:1]:
        assert not store.exists(oid)
    assert {oid: store.get(oid) for oid in keep} == keep  # shared chunks of the kept big object stay
    report = vault.verify("c1")
    assert report.ok, report.as_dict()
    # the deleted bytes are gone from every pack
    blobs = b"".join(vault.backend.load(n) for n in vault.backend.list("customers/c1/packs/"))
    assert blobs and not any(blob in blobs for blob in sealed)
    again = expunge_store(store, set(ids["2020"][:3]))  # idempotent
    assert again["objects_removed"] == 0 and again["missing"] == 3


def test_expunge_drops_a_year_whose_every_mail_object_goes(vault: Vault) -> None:
    ids = _fill(vault, "c1")
    store = vault.store("c1")
    assert _packs(vault, "c1", "2020")
    result = expunge_store(store, set(ids["2020"]), drop_years={2020})
    assert result["years_dropped"] == [2020]
    assert _packs(vault, "c1", "2020") == [] and _packs(vault, "c1", "2022")
    assert vault.verify("c1").ok
    # a year not named droppable is only rewritten (its mailrefs object stays)
    ids2 = _fill(vault, "c2")
    result = expunge_store(vault.store("c2"), set(ids2["2020"]))
    assert result["years_dropped"] == [] and _packs(vault, "c2", "2020")
    assert [e.kind for e in vault.store("c2").objects().values() if e.year == 2020] == ["mailrefs"]


class _Crash(Exception):
    pass


@pytest.mark.parametrize("fail_on", ["first_delete", "second_delete"])
def test_expunge_crash_leaves_a_valid_vault_and_a_rerun_finishes(vault: Vault, monkeypatch, fail_on: str) -> None:
    ids = _fill(vault, "c1")
    store = vault.store("c1")
    gone = set(ids["2022"][:2])
    backend = store.ctx.backend
    real_delete = backend.delete
    calls = {"n": 0}

    def flaky(name: str) -> None:
        calls["n"] += 1
        if calls["n"] == (1 if fail_on == "first_delete" else 2):
            raise _Crash(name)
        real_delete(name)

    monkeypatch.setattr(backend, "delete", flaky)
    with pytest.raises(_Crash):
        with store.exclusive():
            expunge(store, gone, set())
    monkeypatch.setattr(backend, "delete", real_delete)
    fresh = vault.store("c1")
    report = vault.verify("c1")
    assert report.ok, report.as_dict()
    for oid in ids["2022"][2:]:
        assert fresh.get(oid)
    expunge_store(fresh, gone)
    fresh.refresh()
    assert not any(fresh.exists(oid) for oid in gone)
    assert vault.verify("c1").ok
