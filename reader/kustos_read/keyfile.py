"""The passphrase-protected customer key file (FORMAT.md §3.3)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kustos_read.backend import ReadError


@dataclass(frozen=True)
class CustomerKey:
    customer: str
    key_id: str
    enc_key: bytes
    id_key: bytes


def read_key_file(path: Path, passphrase: str) -> CustomerKey:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ReadError(f"{path}: not a readable key file ({exc})")
    if doc.get("format") != "kustos-customer-key" or doc.get("v") != 1:
        raise ReadError(f"{path}: not a Kustos customer key file (format/v)")
    kdf = doc["kdf"]
    if kdf.get("name") != "scrypt":
        raise ReadError(f"{path}: unknown key derivation {kdf.get('name')!r}")
    wrapping = Scrypt(salt=base64.b64decode(kdf["salt"]), length=32, n=int(kdf["n"]), r=int(kdf["r"]),
                      p=int(kdf["p"])).derive(passphrase.encode())
    sealed = base64.b64decode(doc["wrapped"])
    aad = "\x00".join(("kustos/v1", "key-export", doc["customer"], doc["key_id"])).encode()
    try:
        raw = AESGCM(wrapping).decrypt(sealed[:12], sealed[12:], aad)
    except InvalidTag:
        raise ReadError(f"{path}: wrong passphrase or damaged key file")
    if len(raw) != 64:
        raise ReadError(f"{path}: the key must be 64 bytes, found {len(raw)}")
    return CustomerKey(doc["customer"], doc["key_id"], raw[:32], raw[32:])
