"""The evidence of the exit export, one ledger batch at a time (constant memory)::

    evidence/batches/<batch>/root.bin          the batch's Merkle root (the time-stamped data)
    evidence/batches/<batch>/token.tsr         its RFC 3161 token
    evidence/batches/<batch>/renewal-N.bin|.tsr the renewal chain (root || H(previous token))
    evidence/batches/<batch>/batch.json        TSA, times, renewals
    evidence/batches/<batch>/proofs.jsonl      per exported file of the batch: archive id, the
                                               files it was written to, SHA-256, ledger leaf and
                                               inclusion path (RFC 6962)
    evidence/tsa/ca.pem, tsa-certs.pem         the TSA trust anchor(s) and signing certificates

The same proof data as the court bundle (``archive/services/evidence_bundle.py``), from the same
ledger (``vault/ledger``); only the files are laid out for the whole archive."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization

from kustos.archive.exit_export.files import ExportDir
from kustos.archive.exit_export.places import Places
from kustos.archive.models import Message
from kustos.tenants.models import Customer
from kustos.vault.errors import IntegrityError, NotFound, VaultError
from kustos.vault.ledger import merkle
from kustos.vault.ledger.evidence import leaf_bytes
from kustos.vault.ledger.renew import Renewals, token_certificate, token_time
from kustos.vault.ledger.tsa import TimestampError, verify_token

EVIDENCE = "evidence"


def _short(name: str) -> str:
    return name.rsplit("/", 1)[1]


class EvidencePass:
    def __init__(self, customer: Customer, store: Any, out: ExportDir, places: Places, ca_pem: bytes | None):
        self.customer, self.store, self.out, self.places = customer, store, out, places
        self.cas: dict[str, bytes] = {"configured": ca_pem} if ca_pem else {}
        self.tsa_certs: dict[str, bytes] = {}
        self.proven = 0
        self.batches = 0
        self.problems: list[str] = []
        self.has_originals = Message.objects.filter(customer=customer).exclude(original_vault_id="").exists()

    def _owners(self, rows: list[tuple[int, str, str, float]]) -> dict[str, tuple[Message, str]]:
        """Vault object id -> (message, "message" | "original") for the messages still archived
        (found by the leaf's SHA-256, which the messages table indexes)."""
        oids = {r[1] for r in rows}
        found: dict[str, tuple[Message, str]] = {}
        for m in Message.objects.filter(customer=self.customer, sha256__in=[r[2] for r in rows]):
            if m.vault_id in oids:
                found[m.vault_id] = (m, "message")
        if self.has_originals:
            rest = list(oids - set(found))
            for m in Message.objects.filter(customer=self.customer, original_vault_id__in=rest):
                found[m.original_vault_id] = (m, "original")
        return found

    def _proofs(self, name: str, doc: dict[str, Any]) -> Iterator[bytes]:
        rows = [(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in doc["entries"]]
        owners = self._owners(rows)
        if not owners:
            return
        leaves = [merkle.leaf_hash(leaf_bytes(*r)) for r in rows]
        refs = self.places.refs({m.id for m, _ in owners.values()})
        for i, r in enumerate(rows):
            if r[1] not in owners:
                continue
            m, part = owners[r[1]]
            files = [p for p, _, _ in self.places.paths(m, refs.get(m.id, []))]
            if part == "original":
                files = [Places.original_path(files[0], m)]
            else:
                self.proven += 1
            yield json.dumps({
                "archive_id": m.id, "part": part, "files": files, "sha256": r[2], "vault_id": r[1],
                "ledger_seq": r[0], "leaf_data": leaf_bytes(*r).decode(), "leaf_hash": leaves[i].hex(),
                "path": [{"side": side, "hash": h.hex()} for side, h in merkle.inclusion_path(leaves, i)],
                "root": doc["root"]}, sort_keys=True).encode() + b"\n"

    def _batch(self, name: str, renewals: Renewals, tsa: Any) -> None:
        try:
            doc = self.store.ledger.read_batch(name)
        except (IntegrityError, NotFound) as exc:  # named; the rest of the evidence is still written
            self.problems.append(f"ledger batch {_short(name)} cannot be read ({exc})")
            return
        proofs = list(self._proofs(name, doc))
        if not proofs:
            return  # no exported message in this batch (only other vault objects)
        d = f"{EVIDENCE}/batches/{_short(name)}"
        root, token = bytes.fromhex(doc["root"]), base64.b64decode(doc["token"])
        certs = tsa.certificates() if doc["tsa"] == tsa.label else None
        if certs:
            self.cas.setdefault("local", certs[0])
        try:
            verify_token(token, root, certs[1] if certs else None)
            chain = renewals.verify(name, doc)
        except (TimestampError, VaultError) as exc:
            self.problems.append(f"batch {_short(name)}: {exc}")
            chain = renewals.chain(name)
        self.out.put(f"{d}/root.bin", root)
        self.out.put(f"{d}/token.tsr", token)
        for t in [token] + [r.token for r in chain]:
            cert = token_certificate(t)
            if cert is not None:
                self.tsa_certs.setdefault(cert.fingerprint(hashes.SHA256()).hex(),
                                          cert.public_bytes(serialization.Encoding.PEM))
        for r in chain:
            self.out.put(f"{d}/renewal-{r.index}.bin", r.data)
            self.out.put(f"{d}/renewal-{r.index}.tsr", r.token)
        meta = {"batch": _short(name), "tsa": doc["tsa"], "root": doc["root"], "sealed_at": doc.get("sealed_at"),
                "gen_time": token_time(token).isoformat(), "entries": len(doc["entries"]),
                "renewals": [r.as_json() for r in chain]}
        self.out.put(f"{d}/batch.json", json.dumps(meta, indent=2, sort_keys=True).encode())
        self.out.put(f"{d}/proofs.jsonl", b"".join(proofs))
        self.batches += 1

    def run(self) -> None:
        ledger = self.store.ledger
        if ledger.unsealed:  # mail archived since the last seal gets its batch and time-stamp now
            ledger.seal(force=True)
        renewals = Renewals(self.store)
        tsa = self.store.ctx.tsa
        for name in sorted(ledger.batch_names()):
            self._batch(name, renewals, tsa)
        if self.cas:
            self.out.put(f"{EVIDENCE}/tsa/ca.pem", b"".join(self.cas[k] for k in sorted(self.cas)))
        else:
            self.problems.append("the TSA's CA certificate is unknown (KUSTOS_TSA_CA_FILE is not set)")
        if self.tsa_certs:
            self.out.put(f"{EVIDENCE}/tsa/tsa-certs.pem", b"".join(self.tsa_certs[k] for k in sorted(self.tsa_certs)))
