"""The generic seed/items control for ``service=salesforce``: kind = object name, path = record id,
content = the record as JSON (lookups as ids; ``VersionData``/``Body`` base64)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from fakecloud.salesforce.store import ConnectedApp, SalesforceStore, iso


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a backup keeps for a record: sorted keys, no ``attributes``."""
    return json.dumps({k: v for k, v in record.items() if k != "attributes"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False).encode()


def make_certificate(common_name: str = "kustos-backup") -> tuple[str, str]:
    """A new RSA key and its self-signed certificate, both PEM: (private key, certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=365)).sign(key, hashes.SHA256()))
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    return private_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


class SalesforceSeeder:
    def __init__(self, store: SalesforceStore) -> None:
        self.store = store

    def credentials(self, tenant: str, base_url: str) -> dict[str, Any]:
        private_pem, cert_pem = make_certificate()
        client_id = "3MVG9" + secrets.token_urlsafe(40).replace("-", "A").replace("_", "B")
        username = f"backup@{tenant}"
        with self.store.lock:
            self.store.org(tenant).apps[client_id] = ConnectedApp(client_id, username, cert_pem.encode())
        return {"settings": {"client_id": client_id, "username": username, "private_key": private_pem,
                             "endpoint": base_url}, "certificate": cert_pem}

    def seed(self, tenant: str, kind: str, path: str, content: bytes) -> dict[str, str]:
        values = json.loads(content or b"{}")
        if not isinstance(values, dict):
            raise TypeError("content must be the record as a JSON object")
        with self.store.lock:
            org = self.store.org(tenant)
            if path and path in org.records:
                self.store.update(tenant, path, values)
                return {"id": path, "path": path}
            if path:
                values["Id"] = path
            record_id = self.store.create(tenant, kind, values)
        return {"id": record_id, "path": record_id}

    def remove(self, tenant: str, path: str) -> None:
        with self.store.lock:
            if path not in self.store.org(tenant).records:
                raise KeyError(f"no record {path}")
            self.store.delete(tenant, path)

    def items(self, tenant: str, kind: str) -> list[dict[str, Any]]:
        rows = []
        with self.store.lock:
            org = self.store.org(tenant)
            for record_id in org.records:
                if kind and org.owner[record_id] != kind:
                    continue
                data = canonical(self.store.full_record(org, record_id))
                rows.append({"path": record_id, "kind": org.owner[record_id], "sha256": hashlib.sha256(data).hexdigest(),
                             "size": len(data), "modified": org.records[record_id]["SystemModstamp"],
                             "content": json.loads(data)})
        return sorted(rows, key=lambda r: r["path"])

    def expire_window(self, tenant: str) -> None:
        """Replication data before now is gone: older getUpdated/getDeleted starts are refused."""
        with self.store.lock:
            self.store.org(tenant).earliest = self.store.now() + timedelta(milliseconds=1)

    def configure(self, args: dict[str, Any]) -> dict[str, Any]:
        """``salesforce/configure``: ``clock`` = ``freeze`` (the org's clock stands still at this moment) or
        ``run``; ``bulk_polls`` = how many status polls a Bulk API 2.0 query job stays ``InProgress``
        (``retrieve_polls``: a Metadata API retrieve);
        ``metadata`` = {path in the retrieve zip: text, or null to remove it}: configuration files of
        ``tenant``'s org beside the objects (e.g. ``classes/Hello.cls``)."""
        with self.store.lock:
            if args.get("clock") == "freeze":
                self.store.frozen = self.store.now()
            elif args.get("clock") == "run":
                self.store.frozen = None
            if "bulk_polls" in args:
                self.store.bulk_polls = int(args["bulk_polls"])
            if "retrieve_polls" in args:
                self.store.retrieve_polls = int(args["retrieve_polls"])
            if "metadata" in args:  # a null text removes the file
                files = self.store.org(str(args["tenant"])).metadata
                for path, text in dict(args["metadata"]).items():
                    if text is None:
                        files.pop(str(path), None)
                    else:
                        files[str(path)] = str(text).encode()
            return {"frozen": iso(self.store.frozen) if self.store.frozen else None}
