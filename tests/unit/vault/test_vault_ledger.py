"""Ledger: Merkle batches, inclusion proofs, RFC 3161 tokens checked by openssl."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kustos.vault.ledger import merkle
from kustos.vault.options import VaultOptions
from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import mail, make_vault


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_every_inclusion_path_leads_to_the_root(n: int, data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(n)]
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    root = merkle.root(leaves)
    path = merkle.inclusion_path(leaves, index)
    assert merkle.root_from_path(leaves[index], path) == root
    other = merkle.leaf_hash(b"forged")
    assert merkle.root_from_path(other, path) != root


def test_seal_by_size_and_sequence(tmp_path: Path) -> None:
    vault = make_vault(tmp_path, VaultOptions(ledger_batch=10))
    store = vault.store("acme")
    for i in range(25):
        store.put(mail(i), "mail")
        if i % 5 == 4:
            store.commit()
    names = store.ledger.batch_names()
    assert [n.rsplit("/", 1)[1] for n in names] == ["000000000001-000000000010", "000000000011-000000000020"]
    assert len(store.ledger.unsealed) == 5
    sealed = store.ledger.seal(force=True)
    assert sealed is not None and sealed["entries"] == 5
    assert store.ledger.seal(force=True) is None
    seqs = sorted(e.seq for e in store.objects().values())
    assert seqs == list(range(1, 26))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl binary not installed")
def test_exported_evidence_verifies_with_openssl(vault: Vault, tmp_path: Path) -> None:
    store = vault.store("acme")
    results = [store.put(mail(i), "mail") for i in range(13)]
    store.commit()
    target = results[6]
    evidence = store.ledger.proof(target.id)  # seals the pending batch on demand
    assert evidence.check()
    out = tmp_path / "evidence"
    evidence.export(out)
    assert {p.name for p in out.iterdir()} >= {"root.bin", "token.tsr", "ca.pem", "tsa.pem", "proof.json"}
    cmd = ["openssl", "ts", "-verify", "-data", str(out / "root.bin"), "-in", str(out / "token.tsr"),
           "-CAfile", str(out / "ca.pem"), "-untrusted", str(out / "tsa.pem")]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0 and "Verification: OK" in run.stdout, run.stderr
    digest = hashlib.sha256((out / "root.bin").read_bytes()).hexdigest()
    run2 = subprocess.run(cmd[:3] + ["-digest", digest] + cmd[5:], capture_output=True, text=True)
    assert run2.returncode == 0, run2.stderr
    # The inclusion path, recomputed from the exported JSON only.
    proof = json.loads((out / "proof.json").read_text())
    assert proof["sha256"] == target.sha256
    running = hashlib.sha256(b"\x00" + proof["leaf_data"].encode()).digest()
    for step in proof["path"]:
        sib = bytes.fromhex(step["hash"])
        running = hashlib.sha256(b"\x01" + (sib + running if step["side"] == "L" else running + sib)).digest()
    assert running == (out / "root.bin").read_bytes()
    assert "self-signed" in proof["timestamp"]["tsa"]
    # A different root does not verify against the token.
    (out / "root.bin").write_bytes(bytes(32))
    assert subprocess.run(cmd, capture_output=True).returncode != 0


def test_verify_checks_the_token_signature(vault: Vault) -> None:
    store = vault.store("acme")
    store.put(mail(1), "mail")
    store.commit()
    store.ledger.seal(force=True)
    assert vault.verify().ok
    name = store.ledger.batch_names()[0]
    doc = store.ledger.read_batch(name)
    token = bytearray(base64.b64decode(doc["token"]))
    token[-3] ^= 0x01  # inside the RSA signature: imprint and root still match
    doc["token"] = base64.b64encode(bytes(token)).decode()
    store.ledger._store(name, doc)  # re-sealed with the customer key: only the signature is wrong
    report = vault.verify()
    assert [(d["item"], d["reason"]) for d in report.damaged] == [(name, "time-stamp token signature is invalid")]
