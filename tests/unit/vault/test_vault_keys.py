"""Master key handling, wrapped data keys, rotation, crypto-shredding."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from kustos.config import Settings
from kustos.vault.errors import KeyError_
from kustos.vault.factory import open_vault
from kustos.vault.keys import MasterKeyError, load_master_key, parse_master_key
from tests.unit.vault.vault_helpers import SMALL, mail, make_vault


def test_parse_master_key_hex_and_base64() -> None:
    raw = os.urandom(32)
    assert parse_master_key(raw.hex()) == raw
    assert parse_master_key(base64.b64encode(raw).decode()) == raw
    for bad in ["", "abc", base64.b64encode(os.urandom(16)).decode(), "zz" * 32]:
        with pytest.raises(MasterKeyError, match="32 bytes"):
            parse_master_key(bad)


def test_key_file_created_0600_at_first_use(tmp_path: Path) -> None:
    key_file = tmp_path / "home" / "master.key"
    first = load_master_key("", key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_master_key("", key_file) == first
    vault = open_vault(Settings(home=tmp_path / "home"), SMALL)  # uses the key file
    res = vault.store("acme").put(b"x", "meta")
    vault.store("acme").commit()
    assert open_vault(Settings(home=tmp_path / "home"), SMALL).store("acme").get(res.id) == b"x"


def test_wrong_master_key_is_refused(tmp_path: Path) -> None:
    make_vault(tmp_path, master_key=os.urandom(32).hex()).store("acme")
    with pytest.raises(MasterKeyError, match="another master key"):
        make_vault(tmp_path, master_key=os.urandom(32).hex()).store("acme")


def test_tampered_wrapped_key_fails_authentication(tmp_path: Path) -> None:
    key = os.urandom(32).hex()
    vault = make_vault(tmp_path, master_key=key)
    vault.store("acme")
    path = tmp_path / "vault" / "customers" / "acme" / "key"
    doc = path.read_text()
    wrapped = bytearray(base64.b64decode(doc.split('"wrapped": "')[1].split('"')[0]))
    wrapped[20] ^= 1
    path.write_text(doc.split('"wrapped": "')[0] + '"wrapped": "' + base64.b64encode(wrapped).decode() + '"}')
    with pytest.raises(KeyError_, match="authentication failed"):
        make_vault(tmp_path, master_key=key).store("acme")


def test_master_key_rotation_rewraps_without_rewriting_data(tmp_path: Path) -> None:
    old, new = os.urandom(32), os.urandom(32)
    vault = make_vault(tmp_path, master_key=old.hex())
    store = vault.store("acme")
    res = store.put(mail(1), "mail")
    store.commit()
    store.ledger.seal(force=True)
    packs_before = {p: p.read_bytes() for p in (tmp_path / "vault").rglob("packs/*/*")}
    out = vault.rotate_master_key(new)
    assert out["customers"] == 1
    assert {p: p.read_bytes() for p in (tmp_path / "vault").rglob("packs/*/*")} == packs_before
    fresh = make_vault(tmp_path, master_key=new.hex())
    assert fresh.store("acme").get(res.id) == mail(1)
    assert fresh.store("acme").ledger.proof(res.id).check()
    assert fresh.verify().ok
    with pytest.raises(MasterKeyError):
        make_vault(tmp_path, master_key=old.hex()).store("acme")


def test_destroy_customer_crypto_shreds(tmp_path: Path) -> None:
    key = os.urandom(32).hex()
    vault = make_vault(tmp_path, master_key=key)
    store = vault.store("acme")
    ids = [store.put(mail(i), "mail").id for i in range(20)]
    store.commit()
    keep = vault.store("globex")
    other = keep.put(mail(1), "mail")
    keep.commit()
    record = vault.destroy_customer("acme")
    assert record["key_destroyed"] and record["objects"] == 20 and record["files_deleted"] > 0
    assert record["customer_id"] == "acme" and record["deleted_at"]
    assert not (tmp_path / "vault" / "customers" / "acme").exists()
    assert "acme" not in vault.customers()
    assert list((tmp_path / "vault" / "system" / "deletions").iterdir())
    fresh = make_vault(tmp_path, master_key=key)
    assert not fresh.store("acme").exists(ids[0])  # a new, empty customer
    assert fresh.store("globex").get(other.id) == mail(1)


def test_data_key_created_by_another_writer_between_load_and_check_is_used(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Another machine creates the customer's key after our load found none: we use its key
    (before the fix, the existence check raised "has no data key")."""
    key = os.urandom(32).hex()
    other = make_vault(tmp_path, master_key=key)
    vault = make_vault(tmp_path, master_key=key)
    real_load = vault.keys.load
    calls = []

    def racing_load(customer_id: str):  # type: ignore[no-untyped-def]
        calls.append(customer_id)
        if len(calls) == 1:
            other.store(customer_id)  # the other writer wins the race
            raise KeyError_(f"customer {customer_id!r} has no data key (never used or destroyed)")
        return real_load(customer_id)

    monkeypatch.setattr(vault.keys, "load", racing_load)
    res = other.store("acme").put(mail(3), "mail")
    other.store("acme").commit()
    vault._stores.clear()
    assert vault.store("acme").get(res.id) == mail(3)
    assert len(calls) == 2
