"""Exports of a selection as EML-zip or MBOX, written deterministically to a file."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kustos.archive.models import Message
from kustos.archive.services import messages
from kustos.archive.services import search as search_service
from kustos.audit import services as audit
from kustos.tenants.models import Customer

FORMATS = ("eml-zip", "mbox")
MAX_MESSAGES = 10_000  # per export; larger sets are exported in several queries
PAGE = 1000
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _mbox_from_line(msg: Message) -> bytes:
    sender = msg.from_addr or "MAILER-DAEMON"
    when = (msg.date or msg.archived_at).strftime("%a %b %d %H:%M:%S %Y")
    return f"From {sender} {when}\n".encode()


def _mboxrd_escape(raw: bytes) -> bytes:
    out = []
    for line in raw.replace(b"\r\n", b"\n").split(b"\n"):
        stripped = line.lstrip(b">")
        out.append(b">" + line if stripped.startswith(b"From ") else line)
    body = b"\n".join(out)
    return body if body.endswith(b"\n") else body + b"\n"


def write(items: Iterable[Message], fmt: str, path: Path, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Write the messages (in the given order) and return {count, path, sha256}."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "eml-zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for msg in items:
                info = zipfile.ZipInfo(f"{msg.seq:08d}-{msg.id}.eml", date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, messages.raw(msg))
                count += 1
                if progress:
                    progress(1)
    else:
        with path.open("wb") as fh:
            for msg in items:
                fh.write(_mbox_from_line(msg))
                fh.write(_mboxrd_escape(messages.raw(msg)))
                fh.write(b"\n")
                count += 1
                if progress:
                    progress(1)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"count": count, "path": str(path), "sha256": digest}


def matching_ids(customer: Customer, query: str, scope: search_service.Scope, *, mailbox: str | None = None,
                 sort: str = "date", cap: int = MAX_MESSAGES) -> list[str]:
    """Ids of every message matching ``query`` that ``scope`` may see (at most ``cap``), in result order."""
    first = search_service.run(customer, query, scope, mailbox=mailbox, limit=1)
    ids: list[str] = []
    for offset in range(0, min(first.total, cap), PAGE):
        ids += [h.id for h in search_service.run(customer, query, scope, mailbox=mailbox, limit=PAGE,
                                                 offset=offset, sort=sort).hits]  # type: ignore[arg-type]
    return ids[:cap]


def select(customer: Customer, ids: list[str], scope: search_service.Scope) -> list[Message]:
    """The messages with these ids that ``scope`` may see, in the order of ``ids``."""
    order = {mid: i for i, mid in enumerate(ids)}
    found = Message.objects.filter(customer=customer, id__in=ids).select_related("customer")
    return sorted((m for m in found if messages.visible(m, scope)), key=lambda m: order[m.id])


def export_query(customer: Customer, query: str, scope: search_service.Scope, fmt: str, path: Path, *,
                 actor: Any, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Export every message matching ``query`` (within ``scope``) and record it in the audit log."""
    selected = select(customer, matching_ids(customer, query, scope), scope)
    result = write(selected, fmt, path, progress)
    audit.record("archive.export", actor=actor, customer=customer,
                 detail={"query": query[:500], "count": result["count"], "format": fmt})
    return result
