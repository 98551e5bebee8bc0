"""Evidence renewal (RFC 4998 style): re-time-stamp sealed ledger batches before their
evidence weakens.

A batch's token proves its Merkle root only while the TSA certificate that signed it is valid
and its hash algorithm is strong. Before either runs out, a new time-stamp is taken over

    renewal data = root (32 bytes) || H(previous token)     (H = the renewal's hash algorithm)

so each token covers the root and the one before it: the chain root → token 0 → renewal 1 →
renewal 2 … proves the root existed continuously since token 0. Renewals are stored BESIDE the
batch (``customers/<id>/ledger-renewal/<first>-<last>/<n>``, sealed with the customer key like
the batch); the batch object itself is never rewritten.

A batch is due when its newest token's TSA certificate expires within ``before_days`` days, or
the newest token's hash algorithm is weakening (``sunset``: algorithm → year from which its
tokens are renewed). Framework-free: callers pass the policy and a ``Stamper``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import zstandard
from asn1crypto import tsp
from cryptography import x509

from kustos.vault import crypto
from kustos.vault.errors import IntegrityError, VaultError
from kustos.vault.ledger.tsa import RemoteTSA, Timestamper, TimestampError, verify_token

if TYPE_CHECKING:
    from kustos.vault.store import CustomerStore

ALGORITHMS = ("sha256", "sha384", "sha512")
Stamper = Callable[[bytes, str], bytes]  # (data, hash algorithm) -> DER TimeStampResp over H(data)


class RenewalError(VaultError):
    """A renewal could not be made or a stored renewal does not verify."""


@dataclass(frozen=True)
class Renewal:
    batch: str  # the batch's object name
    index: int  # 1, 2, ... (token 0 is the batch's own)
    algorithm: str
    data: bytes  # root || H(previous token)
    token: bytes
    tsa: str
    renewed_at: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        cert = token_certificate(self.token)
        return {"index": self.index, "algorithm": self.algorithm, "tsa": self.tsa, "renewed_at": self.renewed_at,
                "reason": self.reason, "gen_time": token_time(self.token).isoformat(),
                "tsa_certificate_expires": cert_expiry(cert).isoformat() if cert else None}


def parse_sunset(text: str) -> dict[str, int]:
    """``"sha256:2031,sha384:2040"`` → {"sha256": 2031, ...}; ValueError naming a bad item."""
    out: dict[str, int] = {}
    for item in (p.strip() for p in (text or "").split(",")):
        if not item:
            continue
        alg, _, year = item.partition(":")
        if alg.strip().lower() not in ALGORITHMS or not year.strip().isdigit():
            raise ValueError(f"hash sunset {item!r}: expected ALGORITHM:YEAR with ALGORITHM one of "
                             f"{', '.join(ALGORITHMS)}")
        out[alg.strip().lower()] = int(year)
    return out


def check_algorithm(algorithm: str) -> str:
    alg = (algorithm or "").lower()
    if alg not in ALGORITHMS:
        raise ValueError(f"unknown hash algorithm {algorithm!r}: use one of {', '.join(ALGORITHMS)}")
    return alg


def renewal_data(root: bytes, previous_token: bytes, algorithm: str) -> bytes:
    return root + hashlib.new(algorithm, previous_token).digest()


def _info(token: bytes) -> Any:
    resp = tsp.TimeStampResp.load(token)
    if resp["status"]["status"].native not in ("granted", "granted_with_mods"):
        raise TimestampError(f"time-stamp refused: {resp['status']['status'].native}")
    return resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed


def token_algorithm(token: bytes) -> str:
    """The hash algorithm of the token's message imprint (sha256, sha512, ...)."""
    return str(_info(token)["message_imprint"]["hash_algorithm"]["algorithm"].native)


def token_time(token: bytes) -> datetime:
    gen: datetime = _info(token)["gen_time"].native
    return gen


def token_certificate(token: bytes) -> x509.Certificate | None:
    """The signer's certificate embedded in the token (None when the TSA left it out)."""
    signed = tsp.TimeStampResp.load(token)["time_stamp_token"]["content"]
    serial = signed["signer_infos"][0]["sid"].chosen["serial_number"].native
    for c in signed["certificates"] or []:
        if c.chosen.serial_number == serial:
            return x509.load_der_x509_certificate(c.chosen.dump())
    return None


def cert_expiry(cert: x509.Certificate) -> datetime:
    return cert.not_valid_after_utc


def check_token(token: bytes, data: bytes, algorithm: str) -> None:
    """The token stamps H(data) with ``algorithm`` (SHA-256 tokens: signature checked too)."""
    if algorithm == "sha256":
        verify_token(token, data)
        return
    info = _info(token)
    if (info["message_imprint"]["hash_algorithm"]["algorithm"].native != algorithm
            or info["message_imprint"]["hashed_message"].native != hashlib.new(algorithm, data).digest()):
        raise RenewalError(f"renewal time-stamp does not cover the renewal data with {algorithm}")


def stamper_for(tsa: Timestamper, timeout: float = 30.0) -> Stamper:
    """SHA-256 through the vault's TSA; other algorithms need a remote TSA (the built-in one
    stamps SHA-256 only)."""

    def stamp(data: bytes, algorithm: str) -> bytes:
        if algorithm == "sha256":
            return tsa.timestamp(data)
        if not isinstance(tsa, RemoteTSA):
            raise RenewalError(f"the built-in TSA stamps SHA-256 only; configure KUSTOS_TSA_URL to renew "
                               f"with {algorithm}")
        req = tsp.TimeStampReq({"version": "v1", "message_imprint": {
            "hash_algorithm": {"algorithm": algorithm}, "hashed_message": hashlib.new(algorithm, data).digest()},
            "nonce": secrets.randbits(63), "cert_req": True})
        try:
            resp = httpx.post(tsa.url, content=req.dump(), timeout=timeout,
                              headers={"Content-Type": "application/timestamp-query"})
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise TimestampError(f"TSA {tsa.url} failed: {exc}")
        return resp.content

    return stamp


class Renewals:
    """The renewal chains of one customer's ledger batches."""

    def __init__(self, store: CustomerStore):
        self.store = store
        self.prefix = f"customers/{store.customer_id}/ledger-renewal/"

    def _dir(self, batch: str) -> str:
        return f"{self.prefix}{batch.rsplit('/', 1)[1]}/"

    def _aad(self, name: str) -> bytes:
        return crypto.aad("ledger-renewal", self.store.customer_id, name)

    def chain(self, batch: str) -> list[Renewal]:
        """The batch's renewals in order (verified link by link against the batch's root and token)."""
        out: list[Renewal] = []
        names = sorted(self.store.ctx.backend.list(self._dir(batch)))
        for name in names:
            raw = crypto.open_sealed(self.store.key.enc_key, self.store.ctx.backend.load(name), self._aad(name), name)
            try:
                doc = json.loads(zstandard.decompress(raw))
            except (ValueError, zstandard.ZstdError) as exc:
                raise IntegrityError(f"{name}: undecodable renewal ({exc})")
            out.append(Renewal(batch, int(doc["index"]), str(doc["algorithm"]), base64.b64decode(doc["data"]),
                               base64.b64decode(doc["token"]), str(doc["tsa"]), str(doc["renewed_at"]),
                               str(doc.get("reason", ""))))
        return out

    def verify(self, batch: str, doc: dict[str, Any]) -> list[Renewal]:
        """Check every link: data = root || H(previous token) and the token stamps H(data)."""
        root = bytes.fromhex(doc["root"])
        previous = base64.b64decode(doc["token"])
        chain = self.chain(batch)
        for i, r in enumerate(chain, start=1):
            if r.index != i:
                raise RenewalError(f"{batch}: renewal {i} is missing")
            if r.data != renewal_data(root, previous, r.algorithm):
                raise RenewalError(f"{batch}: renewal {i} does not cover the root and the token before it")
            try:
                check_token(r.token, r.data, r.algorithm)
            except TimestampError as exc:
                raise RenewalError(f"{batch}: renewal {i}: {exc}")
            previous = r.token
        return chain

    def add(self, batch: str, doc: dict[str, Any], stamp: Stamper, algorithm: str, reason: str) -> Renewal:
        chain = self.chain(batch)
        previous = chain[-1].token if chain else base64.b64decode(doc["token"])
        data = renewal_data(bytes.fromhex(doc["root"]), previous, algorithm)
        token = stamp(data, algorithm)
        check_token(token, data, algorithm)
        index = len(chain) + 1
        r = Renewal(batch, index, algorithm, data, token, self.store.ctx.tsa.label,
                    datetime.now(UTC).isoformat(), reason)
        name = f"{self._dir(batch)}{index:06d}"
        body = {"v": 1, "batch": batch, "index": index, "algorithm": algorithm, "data": base64.b64encode(data).decode(),
                "token": base64.b64encode(token).decode(), "tsa": r.tsa, "renewed_at": r.renewed_at, "reason": reason}
        sealed = crypto.seal(self.store.key.enc_key, zstandard.compress(json.dumps(body).encode(), 9), self._aad(name))
        self.store.ctx.backend.store(name, sealed)
        return r


def _newest(doc: dict[str, Any], chain: list[Renewal]) -> bytes:
    return chain[-1].token if chain else base64.b64decode(doc["token"])


def batch_status(store: CustomerStore, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per sealed batch: its newest token's algorithm, TSA certificate expiry and renewals."""
    now = now or datetime.now(UTC)
    renewals = Renewals(store)
    out = []
    for name in store.ledger.batch_names():
        doc = store.ledger.read_batch(name)
        chain = renewals.chain(name)
        token = _newest(doc, chain)
        cert = token_certificate(token)
        expires = cert_expiry(cert) if cert else None
        out.append({"batch": name, "entries": len(doc["entries"]), "renewals": len(chain),
                    "algorithm": token_algorithm(token), "tsa": chain[-1].tsa if chain else doc.get("tsa", ""),
                    "certificate_expires": expires.isoformat() if expires else None,
                    "days_left": (expires - now).days if expires else None})
    return out


def due_reason(status: dict[str, Any], before_days: int, sunset: dict[str, int], now: datetime) -> str:
    """Why the batch must be renewed now ('' = not due)."""
    if status["days_left"] is not None and status["days_left"] < before_days:
        return f"TSA certificate expires {status['certificate_expires'][:10]}"
    year = sunset.get(status["algorithm"])
    if year is not None and now.year >= year:
        return f"hash algorithm {status['algorithm']} weakens from {year}"
    return ""


def renew(store: CustomerStore, stamp: Stamper, *, before_days: int = 365, algorithm: str = "sha256",
          sunset: dict[str, int] | None = None, now: datetime | None = None,
          dry_run: bool = False) -> dict[str, Any]:
    """Renew every due batch of ``store``; ``{"checked", "renewed": [{"batch","reason","index"}]}``."""
    algorithm = check_algorithm(algorithm)
    now = now or datetime.now(UTC)
    renewals = Renewals(store)
    result: dict[str, Any] = {"customer": store.customer_id, "checked": 0, "renewed": [], "due": [],
                              "warnings": []}
    for status in batch_status(store, now):
        result["checked"] += 1
        reason = due_reason(status, before_days, sunset or {}, now)
        if not reason:
            continue
        if dry_run:
            result["due"].append({"batch": status["batch"], "reason": reason})
            continue
        doc = store.ledger.read_batch(status["batch"])
        r = renewals.add(status["batch"], doc, stamp, algorithm, reason)
        result["renewed"].append({"batch": status["batch"], "reason": reason, "index": r.index,
                                  "algorithm": algorithm})
        cert = token_certificate(r.token)
        if cert is not None and (cert_expiry(cert) - now).days < before_days:
            result["warnings"].append(f"{status['batch']}: the renewing TSA's certificate expires "
                                      f"{cert_expiry(cert).date().isoformat()} too; configure another TSA")
    return result


def expiring(statuses: list[dict[str, Any]], within_days: int) -> list[dict[str, Any]]:
    return [s for s in statuses if s["days_left"] is not None and s["days_left"] < within_days]

