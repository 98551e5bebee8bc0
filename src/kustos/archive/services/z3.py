"""Z3 data handover for a tax audit (GDPdU/GoBD "Datenträgerüberlassung").

The selection is the archive export's (search within the caller's visibility → ids →
visibility re-check per message); an auditor therefore only ever gets what the grant lets
them see. The tree::

    index.xml              GDPdU description of messages.csv (DOCTYPE gdpdu-01-09-2004.dtd)
    gdpdu-01-09-2004.dtd   the official DTD
    messages.csv           archive id, date, from, to, subject, size, sha256, file name
    mails/<archive id>.eml the original bytes
    SHA256SUMS             manifest of every other file (``sha256sum -c SHA256SUMS``)

Deterministic: messages in archive order (``seq``), no clock in any file, ZIP entries in a
fixed order with fixed times and modes; the only date is the caller's visibility window.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from kustos.archive.models import Message
from kustos.archive.services import export, messages, z3_files
from kustos.archive.services import search as search_service
from kustos.archive.z3 import DTD_NAME, DTD_PATH
from kustos.audit import services as audit
from kustos.tenants.models import Customer

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class IntegrityError(RuntimeError):
    """The vault returned bytes whose hash differs from the one recorded at archiving."""


class Sink(Protocol):
    def add(self, name: str, data: bytes) -> None: ...


class DirSink:
    def __init__(self, root: Path) -> None:
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise ValueError(f"output directory {str(root)!r} exists and is not empty")
        root.mkdir(parents=True, exist_ok=True)
        self.root = root

    def add(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


class ZipSink:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf

    def add(self, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 3
        self.zf.writestr(info, data)


def selection(customer: Customer, query: str, scope: search_service.Scope) -> list[Message]:
    """The messages of ``query`` that ``scope`` may see, in archive order."""
    chosen = export.select(customer, export.matching_ids(customer, query, scope), scope)
    return sorted(chosen, key=lambda m: m.seq)


def _mails(items: list[Message]) -> Iterator[tuple[Message, bytes]]:
    for msg in items:
        data = messages.raw(msg)
        if hashlib.sha256(data).hexdigest() != msg.sha256:
            raise IntegrityError(f"message {msg.id}: stored bytes do not match the recorded SHA-256")
        yield msg, data


def write_tree(sink: Sink, customer: Customer, items: list[Message], query: str,
               scope: search_service.Scope) -> dict[str, Any]:
    """Write the whole tree to ``sink``; returns {messages, files, manifest_sha256}."""
    digests: dict[str, str] = {}

    def put(name: str, data: bytes) -> None:
        digests[name] = hashlib.sha256(data).hexdigest()
        sink.add(name, data)

    rows = []
    for msg, data in _mails(items):
        row = z3_files.Row(msg.id, msg.date, msg.from_addr, list(msg.to_addrs or []), msg.subject, len(data),
                           msg.sha256)
        put(row.file_name, data)
        rows.append(row)
    put(z3_files.CSV_NAME, z3_files.csv_bytes(rows))
    # scope.date_to is exclusive (00:00 of the day after the last day)
    valid_to = (scope.date_to - timedelta(days=1)).astimezone(z3_files.BERLIN).date() if scope.date_to else None
    valid_from = scope.date_from.astimezone(z3_files.BERLIN).date() if scope.date_from else None
    comment = f"Z3 export of the Kustos e-mail archive; query: {query.strip() or '*'}; {len(rows)} messages"
    if scope.tax_relevant_only:
        comment += "; only messages flagged tax-relevant"
    put(z3_files.INDEX_NAME, z3_files.index_xml(
        supplier=customer.legal_name or customer.name, location=customer.customer_number or customer.id,
        comment=comment, media=f"Kustos Z3 {customer.id}", valid_from=valid_from, valid_to=valid_to))
    put(DTD_NAME, DTD_PATH.read_bytes())
    sums = z3_files.manifest(digests)
    sink.add(z3_files.SUMS_NAME, sums)
    return {"messages": len(rows), "files": len(digests) + 1, "manifest_sha256": hashlib.sha256(sums).hexdigest()}


def _audit(actor: Any, customer: Customer, query: str, result: dict[str, Any], kind: str) -> None:
    audit.record("export.z3", actor=actor, customer=customer,
                 detail={"query": query[:500], "count": result["messages"], "files": result["files"],
                         "manifest_sha256": result["manifest_sha256"], "output": kind})


def export_dir(customer: Customer, query: str, scope: search_service.Scope, out: Path, *,
               actor: Any) -> dict[str, Any]:
    """Write the Z3 tree into the (new or empty) directory ``out``; returns {messages, files, dir}."""
    items = selection(customer, query, scope)
    result = write_tree(DirSink(out), customer, items, query, scope)
    _audit(actor, customer, query, result, "dir")
    return {"messages": result["messages"], "files": result["files"], "dir": str(out)}


def export_zip(customer: Customer, query: str, scope: search_service.Scope, path: Path, *,
               actor: Any) -> dict[str, Any]:
    """Write the Z3 tree as one ZIP file at ``path``; returns {messages, files, sha256}."""
    items = selection(customer, query, scope)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        result = write_tree(ZipSink(zf), customer, items, query, scope)
    _audit(actor, customer, query, result, "zip")
    return {"messages": result["messages"], "files": result["files"],
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
