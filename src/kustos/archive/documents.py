"""Turning parsed messages into Message rows and search Documents."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from kustos.archive.models import Message, MessageRef
from kustos.archive.ocr_texts import texts as ocr_texts
from kustos.archive.tax_relevance import effective_ids
from kustos.mail import parse
from kustos.search import Document

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def addresses(value: Any) -> list[str]:
    """Bare lower-case addresses from the parser's (name, address) pairs."""
    out = []
    for entry in value or []:
        addr = entry[1] if isinstance(entry, tuple | list) else str(entry)
        if addr:
            out.append(addr.strip().lower())
    return out


def display(value: Any) -> list[str]:
    out = []
    for entry in value or []:
        if isinstance(entry, tuple | list):
            name, addr = entry[0], entry[1]
            out.append(f"{name} <{addr}>" if name else addr)
        else:
            out.append(str(entry))
    return out


def message_row(customer: Any, *, parsed: Any, sha256: str, vault_id: str, size: int, seq: int,
                retention_year: int | None, kind: str = "message", original_vault_id: str = "",
                original_kind: str = "") -> Message:
    """An unsaved Message row for a newly archived message."""
    p = parsed
    attachments = list(getattr(p, "attachments", []) or [])
    froms = addresses(getattr(p, "from_", []))
    return Message(
        customer=customer, seq=seq, sha256=sha256, vault_id=vault_id, size=size,
        original_vault_id=original_vault_id, original_kind=original_kind or "", kind=kind,
        message_id=(getattr(p, "message_id", "") or "")[:998], subject=(getattr(p, "subject", "") or "")[:998],
        from_addr=(froms[0] if froms else "")[:320], to_addrs=addresses(getattr(p, "to", []))[:200],
        date=getattr(p, "date", None), has_attachments=bool(getattr(p, "has_attachment", attachments)),
        attachment_count=len(attachments),
        parse_error=(getattr(p, "parse_error", "") or "")[:300], retention_year=retention_year,
        retention_end=date(retention_year, 12, 31) if retention_year else None,
    )


def mailref(work: Any, retention_year: int | None) -> dict[str, Any]:
    """The self-describing record of one arrival, stored in the vault beside the message."""
    item = work.item
    record = {"v": 1, "sha256": work.sha256, "vault_id": work.vault_id, "original_vault_id": work.original_vault_id,
              "original_kind": item.original_kind or "", "kind": item.kind, "mailbox": item.mailbox.strip().lower(),
              "folders": item.folders, "source": item.source, "source_ref": item.source_ref[:300],
              "envelope_from": item.envelope_from, "envelope_to": item.envelope_to, "retention_year": retention_year}
    if item.received_at is not None or item.flags:  # only then: older records stay as they were
        record["received_at"] = item.received_at.isoformat() if item.received_at else None
        record["flags"] = list(item.flags)
    return record


def encode_mailrefs(records: list[dict[str, Any]]) -> bytes:
    return json.dumps({"v": 1, "mailrefs": records}, sort_keys=True, separators=(",", ":")).encode()


def decode_mailrefs(data: bytes) -> list[dict[str, Any]]:
    return list(json.loads(data)["mailrefs"])


def _refs(messages: list[Message]) -> dict[str, tuple[set[str], set[str]]]:
    out: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    rows = MessageRef.objects.filter(message__in=messages).values_list(
        "message_id", "mailbox__address", "folder__path")
    for mid, address, path in rows:
        boxes, folders = out[mid]
        boxes.add(address)
        folders.add(f"{address}/{path}" if path else address)
    return out


def build_documents(ctx: Any, messages: list[Message], parsed_by_id: dict[str, Any]) -> list[Document]:
    refs = _refs(messages)
    tax = effective_ids(messages)  # own flag, a flagged folder, class or rule (requirement 15)
    ocr = ocr_texts(messages)  # text recognised in scanned attachments (the archive.ocr job)
    docs = []
    for msg in messages:
        parsed = parsed_by_id.get(msg.id)
        if parsed is None:
            parsed = parse(ctx.vault_store.get(msg.vault_id))
        boxes, folders = refs.get(msg.id, (set(), set()))
        doc = document(msg, parsed, sorted(boxes), sorted(folders), tax_relevant=msg.id in tax)
        if msg.id in ocr:
            doc.attachment_text = "\n".join(filter(None, [doc.attachment_text, ocr[msg.id]]))
        docs.append(doc)
    return docs


def document(msg: Message, p: Any, mailboxes: list[str], folders: list[str], *,
             tax_relevant: bool | None = None) -> Document:
    """The search document; ``tax_relevant`` is the effective flag (None: the message's own)."""
    attachments = list(getattr(p, "attachments", []) or [])
    from_pairs = getattr(p, "from_", []) or []
    return Document(
        id=msg.id, customer=msg.customer_id, date=msg.date or msg.archived_at or EPOCH,
        mailboxes=mailboxes, folders=folders, from_=", ".join(display(from_pairs)),
        from_addr=addresses(from_pairs), to=display(getattr(p, "to", [])), cc=display(getattr(p, "cc", [])),
        bcc=display(getattr(p, "bcc", [])), subject=getattr(p, "subject", "") or "",
        body=getattr(p, "body_text", "") or "",
        attachment_names=[n for a in attachments for n in [a.filename, *getattr(a, "members", [])] if n],
        attachment_text="\n".join(getattr(a, "text", "") or "" for a in attachments),
        size=msg.size, has_attachment=bool(getattr(p, "has_attachment", attachments)), sender_domain=getattr(p, "sender_domain", "") or "",
        message_id=msg.message_id, sha256=msg.sha256, seq=msg.seq, restricted=msg.restricted,
        tax_relevant=msg.tax_relevant if tax_relevant is None else tax_relevant,
    )
