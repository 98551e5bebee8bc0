"""Inclusion evidence for one ledger entry, exportable as plain files.

``export(dir)`` writes:
- ``root.bin``: the 32-byte Merkle root of the batch (the time-stamped data);
- ``token.tsr``: the RFC 3161 TimeStampResp over SHA-256(root.bin);
- ``ca.pem`` / ``tsa.pem``: the TSA chain when known (the built-in TSA is self-signed);
- ``proof.json``: the entry, its leaf hash and the inclusion path to the root;
- ``renewal-<n>.bin`` / ``renewal-<n>.tsr``: the renewal chain (``ledger/renew.py``): each
  token stamps root || H(previous token);
- ``README.txt``: how to check it with openssl and by hand.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kustos.vault.ledger import merkle
from kustos.vault.ledger.tsa import token_imprint


def leaf_bytes(seq: int, oid: str, sha256: str, when: float) -> bytes:
    return f"{seq}|{oid}|{sha256}|{when:.6f}".encode()


@dataclass(frozen=True)
class Evidence:
    customer_id: str
    object_id: str
    seq: int
    sha256: str
    time: float
    batch: str
    root: bytes
    path: list[tuple[str, bytes]]
    token: bytes
    tsa_label: str
    certificates: tuple[bytes, bytes] | None
    renewals: tuple[Any, ...] = ()  # ledger.renew.Renewal, oldest first

    @property
    def leaf(self) -> bytes:
        return merkle.leaf_hash(leaf_bytes(self.seq, self.object_id, self.sha256, self.time))

    def check(self) -> bool:
        """The path leads to the root and the token stamps SHA-256(root)."""
        imprint, _ = token_imprint(self.token)
        return (merkle.root_from_path(self.leaf, self.path) == self.root
                and imprint == hashlib.sha256(self.root).digest())

    def as_json(self) -> dict[str, Any]:
        _, gen_time = token_imprint(self.token)
        return {
            "customer": self.customer_id, "object_id": self.object_id, "sha256": self.sha256,
            "seq": self.seq, "time": self.time, "batch": self.batch,
            "leaf_data": leaf_bytes(self.seq, self.object_id, self.sha256, self.time).decode(),
            "leaf_hash": self.leaf.hex(), "root": self.root.hex(),
            "path": [{"side": side, "hash": h.hex()} for side, h in self.path],
            "hashing": "RFC 6962: leaf=SHA256(0x00||leaf_data), node=SHA256(0x01||left||right)",
            "timestamp": {"tsa": self.tsa_label, "gen_time": gen_time.isoformat(),
                          "imprint": "SHA-256 of root.bin"},
            "renewals": [{**r.as_json(), "data": f"renewal-{r.index}.bin", "token": f"renewal-{r.index}.tsr",
                          "covers": f"root.bin || {r.algorithm.upper()}(previous token)"} for r in self.renewals],
        }

    def export(self, directory: str | Path) -> list[Path]:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files = {"root.bin": self.root, "token.tsr": self.token,
                 "proof.json": json.dumps(self.as_json(), indent=2).encode()}
        if self.certificates:
            files["ca.pem"], files["tsa.pem"] = self.certificates
        for r in self.renewals:
            files[f"renewal-{r.index}.bin"], files[f"renewal-{r.index}.tsr"] = r.data, r.token
        renewal_text = "".join(
            f"Renewal {r.index} ({r.algorithm}): renewal-{r.index}.bin = root.bin || {r.algorithm}(previous token)\n"
            f"  openssl ts -verify -data renewal-{r.index}.bin -in renewal-{r.index}.tsr -CAfile ca.pem\n"
            for r in self.renewals)
        files["README.txt"] = (
            f"Kustos ledger evidence for object {self.object_id} (SHA-256 {self.sha256}).\n"
            f"Time-stamp authority: {self.tsa_label}.\n"
            "Check the time-stamp over the batch root:\n"
            "  openssl ts -verify -data root.bin -in token.tsr -CAfile ca.pem -untrusted tsa.pem\n"
            "Check the inclusion: hash leaf_data as in proof.json and fold the path; the result\n"
            "must equal root.bin (hex in proof.json 'root').\n" + renewal_text).encode()
        paths = []
        for name, data in files.items():
            (out / name).write_bytes(data)
            paths.append(out / name)
        return paths


def collect(ledger: Any, object_ids: list[str], renewals: Any = None) -> dict[str, Evidence]:
    """Evidence for many objects at once, reading each sealed batch once (``ledger``: a
    ``Ledger``; ``renewals``: a ``renew.Renewals`` to attach each batch's renewal chain).
    Pending entries of the wanted objects are sealed first. Objects without a ledger entry are
    left out."""
    wanted = set(object_ids)
    if any(r[1] in wanted for r in ledger.unsealed):
        ledger.seal(force=True)
    tsa = ledger.store.ctx.tsa
    out: dict[str, Evidence] = {}
    for name in ledger.batch_names():
        doc = ledger.read_batch(name)
        rows = [(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in doc["entries"]]
        hits = [i for i, r in enumerate(rows) if r[1] in wanted and r[1] not in out]
        if not hits:
            continue
        leaves = [merkle.leaf_hash(leaf_bytes(*x)) for x in rows]
        token = base64.b64decode(doc["token"])
        certs = tsa.certificates() if doc["tsa"] == tsa.label else None
        chain = tuple(renewals.chain(name)) if renewals is not None else ()
        for i in hits:
            r = rows[i]
            out[r[1]] = Evidence(ledger.store.customer_id, r[1], r[0], r[2], r[3], name, bytes.fromhex(doc["root"]),
                                 merkle.inclusion_path(leaves, i), token, str(doc["tsa"]), certs, chain)
    return out
