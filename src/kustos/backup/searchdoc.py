"""A backed-up item version as a search ``Document`` (the backup partition of the search index).

Backup items live in their own partition of the customer's index (``partition``), beside the
archive's, so archive searches never see them. One document per item VERSION: mail is parsed by
``kustos.mail`` (subject, addresses, body text, attachment names and text through the extractor
registry with its limits and time budget); files go through the same extractor registry (PDF, DOCX,
ODF, text, ...); calendar items, contacts, tasks and the other JSON items give their string values.
Content larger than the caller's cap is not read: its name is indexed, its text is not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, BinaryIO

from kustos.archive.documents import addresses, display
from kustos.backup.searchkey import partition
from kustos.mail import DEFAULT_LIMITS, Limits, parse
from kustos.mail.attachments import extract_text
from kustos.mail.extractors import Context, Extracted
from kustos.search import Document

READ = 1024 * 1024
#: JSON items (events, contacts, tasks, list items, messages): characters of their text indexed.
MAX_JSON_CHARS = 200_000


def version_id(plan_id: str, account: str, path: str, first_snapshot: str) -> str:
    """A stable id of one item version (the same inputs always give the same id: re-indexing is idempotent)."""
    digest = hashlib.sha256("\x00".join((plan_id, account, path, first_snapshot)).encode()).hexdigest()
    return "iv_" + digest[:32]


@dataclass
class ItemText:
    """What the index gets from an item's content."""

    subject: str = ""
    from_: str = ""
    from_addr: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    body: str = ""
    attachment_names: list[str] = field(default_factory=list)
    attachment_text: str = ""
    message_id: str = ""
    sender_domain: str = ""
    date: datetime | None = None
    skipped: str = ""  # why the text was not indexed ("" when it was, or the kind has none)


def read_bounded(stream: BinaryIO, size: int, cap: int) -> bytes | None:
    """The stream's bytes, or None when it holds more than ``cap`` (read at most cap + 1 bytes)."""
    if size > cap:
        return None
    out = bytearray()
    while len(out) <= cap:
        chunk = stream.read(min(READ, cap + 1 - len(out)))
        if not chunk:
            return bytes(out)
        out += chunk
    return None


def _parse_nested(data: bytes, ctx: Context) -> Extracted:
    """An e-mail found inside a file (an .eml in OneDrive): its subject and body text."""
    msg = parse(data, ctx.limits)
    return Extracted(text="\n".join(t for t in (msg.subject, msg.body_text) if t))


def mail_text(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> ItemText:
    msg = parse(raw, limits)
    froms = list(msg.from_ or [])
    return ItemText(
        subject=msg.subject or "", from_=", ".join(display(froms)), from_addr=addresses(froms),
        to=display(msg.to), cc=display(msg.cc), body=msg.body_text or "",
        attachment_names=[n for a in msg.attachments for n in [a.filename, *a.members] if n],
        attachment_text="\n".join(a.text for a in msg.attachments if a.text),
        message_id=msg.message_id or "", sender_domain=getattr(msg, "sender_domain", "") or "", date=msg.date)


def file_text(name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> ItemText:
    result = extract_text(data, "", name, replace(limits, max_attachment_bytes=max(len(data), 1)), 0, _parse_nested)
    return ItemText(subject=name, body=result.text, attachment_names=result.members, skipped=result.error)


def _strings(value: Any, out: list[str], budget: list[int]) -> None:
    if budget[0] <= 0:
        return
    if isinstance(value, str):
        if value and not value.startswith(("http://", "https://", "data:")):
            out.append(value[: budget[0]])
            budget[0] -= len(out[-1])
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out, budget)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out, budget)


def json_text(name: str, data: bytes) -> ItemText:
    """The string values of a JSON item (event subject, location, attendees, contact names, ...)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return ItemText(subject=name, body=data[:MAX_JSON_CHARS].decode("utf-8", "replace"))
    parts: list[str] = []
    _strings(doc, parts, [MAX_JSON_CHARS])
    subject = doc.get("subject") or doc.get("displayName") or doc.get("title") if isinstance(doc, dict) else None
    return ItemText(subject=str(subject or name), body="\n".join(parts))


def item_text(kind: str, name: str, data: bytes | None, limits: Limits = DEFAULT_LIMITS) -> ItemText:
    """The searchable text of one item; ``data`` None: content not read (too large), name only."""
    if data is None:
        return ItemText(subject=name)
    if kind == "mail":
        return mail_text(data, limits)
    if kind == "file":
        return file_text(name, data, limits)
    return json_text(name, data)


def _date(modified: str, fallback: datetime) -> datetime:
    try:
        value = datetime.fromisoformat(modified.replace("Z", "+00:00")) if modified else None
    except ValueError:
        value = None
    if value is None:
        return fallback
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def document(*, doc_id: str, customer_id: str, account: str, path: str, size: int, sha256: str, modified: str,
             first_time: datetime, text: ItemText) -> Document:
    """The index document of one version: mailbox = the account, folder = account + "/" + folder path."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    name = path.rsplit("/", 1)[-1]
    date = text.date if text.date is not None and text.date.tzinfo is not None else _date(modified, first_time)
    return Document(
        id=doc_id, customer=partition(customer_id), date=date, mailboxes=[account.lower()],
        folders=[f"{account.lower()}/{folder}" if folder else account.lower()], from_=text.from_,
        from_addr=text.from_addr, to=text.to, cc=text.cc, subject=text.subject or name,
        body=text.body, attachment_names=[name, *text.attachment_names], attachment_text=text.attachment_text,
        size=size, has_attachment=bool(text.attachment_names), sender_domain=text.sender_domain,
        message_id=text.message_id[:998], sha256=sha256)
