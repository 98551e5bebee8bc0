"""Ledger batches: Merkle trees (RFC 6962) and RFC 3161 time-stamp tokens (FORMAT.md §7-§8)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

import zstandard
from asn1crypto import tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kustos_read.vault import CustomerVault, Damaged, aad, open_sealed

_HASHES: dict[str, Any] = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
           "sha3_256": hashes.SHA3_256, "sha3_384": hashes.SHA3_384, "sha3_512": hashes.SHA3_512}


def leaf_data(seq: int, oid: str, sha256: str, when: float) -> bytes:
    return f"{seq}|{oid}|{sha256}|{when:.6f}".encode()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def merkle_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def inclusion_path(leaves: list[bytes], index: int) -> list[tuple[str, bytes]]:
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return inclusion_path(leaves[:k], index) + [("R", merkle_root(leaves[k:]))]
    return inclusion_path(leaves[k:], index - k) + [("L", merkle_root(leaves[:k]))]


def fold(leaf: bytes, path: list[tuple[str, bytes]]) -> bytes:
    running = leaf
    for side, sibling in path:
        running = node_hash(sibling, running) if side == "L" else node_hash(running, sibling)
    return running


LOCAL_TSA = "Kustos self-signed local TSA"


def check_issued(cert_der: bytes, ca_pems: list[bytes]) -> None:
    """The signer certificate is issued (signed) by one of the CA certificates."""
    cert = x509.load_der_x509_certificate(cert_der)
    for pem in ca_pems:
        for ca in x509.load_pem_x509_certificates(pem):
            try:
                cert.verify_directly_issued_by(ca)
                return
            except (ValueError, TypeError, InvalidSignature):
                continue
    raise Damaged(f"time-stamp token: signer certificate {cert.subject.rfc4514_string()} is not issued by the "
                  "given TSA CA")


def check_token(token: bytes, data: bytes, algorithm: str = "sha256", ca_pems: list[bytes] | None = None) -> datetime:
    """The token is granted, stamps H(data) and its CMS signature verifies with the embedded
    signer certificate (issued by one of ``ca_pems`` when given); returns its time. Raises
    Damaged naming what failed."""
    try:
        resp = tsp.TimeStampResp.load(token)
        if resp["status"]["status"].native not in ("granted", "granted_with_mods"):
            raise Damaged(f"time-stamp refused: {resp['status']['status'].native}")
        signed = resp["time_stamp_token"]["content"]
        info = signed["encap_content_info"]["content"].parsed
        imprint = info["message_imprint"]["hashed_message"].native
        gen_time = info["gen_time"].native
        signer = signed["signer_infos"][0]
        info_der = bytes(signed["encap_content_info"]["content"].contents)
        digest_alg = signer["digest_algorithm"]["algorithm"].native
        attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
        serial = signer["sid"].chosen["serial_number"].native
        certs = [c.chosen for c in signed["certificates"] if c.chosen.serial_number == serial]
    except (ValueError, KeyError, TypeError) as exc:
        raise Damaged(f"time-stamp token unreadable ({exc})")
    if imprint != hashlib.new(algorithm, data).digest():
        raise Damaged("time-stamp token covers other data")
    if digest_alg not in _HASHES:
        raise Damaged(f"time-stamp token: unsupported digest {digest_alg}")
    if attrs.get("message_digest") is None or attrs["message_digest"].native != hashlib.new(digest_alg, info_der).digest():
        raise Damaged("time-stamp token: signed digest does not match its content")
    if not certs:
        raise Damaged("time-stamp token carries no signer certificate")
    public = x509.load_der_x509_certificate(certs[0].dump()).public_key()
    to_verify = b"\x31" + signer["signed_attrs"].dump()[1:]
    signature = signer["signature"].native
    h = _HASHES[digest_alg]()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, to_verify, ec.ECDSA(h))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, to_verify, padding.PKCS1v15(), h)
        else:
            raise Damaged("time-stamp token: unsupported signature key type")
    except InvalidSignature:
        raise Damaged("time-stamp token signature is invalid")
    if ca_pems:
        check_issued(certs[0].dump(), ca_pems)
    return gen_time


def read_sealed_json(vault: CustomerVault, name: str, label: str) -> dict[str, Any]:
    raw = open_sealed(vault.key.enc_key, vault.backend.load(name), aad(label, vault.cid, name), name)
    try:
        return dict(json.loads(zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 31)))
    except (ValueError, zstandard.ZstdError) as exc:
        raise Damaged(f"{name}: undecodable ({exc})")


def tsa_cas(vault: CustomerVault, label: str, extra: list[bytes]) -> list[bytes] | None:
    """The CA certificates a token of TSA ``label`` must chain to: the built-in TSA's CA from the
    vault (``system/tsa/ca.pem``), else the CAs given with --tsa-ca; None = not checked."""
    if label == LOCAL_TSA:
        return [vault.backend.load("system/tsa/ca.pem")]
    return extra or None


def verify_batch(vault: CustomerVault, name: str, extra_cas: list[bytes] | None = None) -> dict[str, Any]:
    """Check one sealed batch: every leaf's inclusion proof folds to the root, the token stamps
    SHA-256(root), renewals chain. Returns {name, entries, rows, gen_time, renewals}."""
    doc = read_sealed_json(vault, name, "ledger")
    rows = [(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in doc["entries"]]
    root = bytes.fromhex(doc["root"])
    leaves = [leaf_hash(leaf_data(*r)) for r in rows]
    if merkle_root(leaves) != root:
        raise Damaged(f"{name}: Merkle root does not match its entries")
    for i, leaf in enumerate(leaves):
        if fold(leaf, inclusion_path(leaves, i)) != root:
            raise Damaged(f"{name}: inclusion proof of entry {rows[i][0]} fails")
    token = base64.b64decode(doc["token"])
    cas = tsa_cas(vault, str(doc.get("tsa", "")), extra_cas or [])
    try:
        gen_time = check_token(token, root, ca_pems=cas)
    except Damaged as exc:
        raise Damaged(f"{name}: {exc}")
    previous, renewals = token, 0
    short = name.rsplit("/", 1)[1]
    for i, rname in enumerate(vault.backend.list(f"{vault.prefix}ledger-renewal/{short}/"), start=1):
        r = read_sealed_json(vault, rname, "ledger-renewal")
        data = base64.b64decode(r["data"])
        alg = str(r["algorithm"])
        if int(r["index"]) != i or data != root + hashlib.new(alg, previous).digest():
            raise Damaged(f"{name}: renewal {i} does not cover the root and the token before it")
        previous = base64.b64decode(r["token"])
        try:
            check_token(previous, data, alg, ca_pems=tsa_cas(vault, str(r.get("tsa", "")), extra_cas or []))
        except Damaged as exc:
            raise Damaged(f"{name}: renewal {i}: {exc}")
        renewals += 1
    return {"batch": name, "entries": len(rows), "rows": rows, "gen_time": gen_time.isoformat(),
            "tsa": doc.get("tsa", ""), "renewals": renewals, "chain_checked": cas is not None}
