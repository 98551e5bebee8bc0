"""The read-only MCP tools: plain functions of (user, arguments) -> JSON-able dict.

Every decision is made where the REST API makes it: ``accounts.access`` (customer, permission,
``visibility``), ``archive.services.search`` (the visibility filter inside the index query) and
``archive.services.messages`` (``get_for`` / ``get_for_download``: not found unless visible). Every
call writes the audit log with the API's action names and ``channel: "mcp"``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.roles import Role
from kustos.archive.models import Mailbox
from kustos.archive.services import messages
from kustos.archive.services import search as search_service
from kustos.audit import services as audit
from kustos.mail.html_text import html_to_text
from kustos.search import limits
from kustos.tenants.models import Customer

CHANNEL = "mcp"
MAX_TEXT = 200_000  # characters of a body or attachment text handed to the assistant


def customer_for(user: Any, customer_id: str = "") -> Customer:
    """The customer whose archive the call reads: the named one, else the user's only one."""
    if not customer_id:
        if user.customer_id:
            customer_id = str(user.customer_id)
        else:
            if user.role == Role.AUDITOR:
                ids = [str(g.customer_id) for g in access.grants_for(user) if g.active]
            else:
                ids = [str(c) for c in access.customers_for(user).values_list("id", flat=True)[:2]]
            if len(ids) != 1:
                raise ValidationError("name the customer (argument `customer`): "
                                      + ("you may read several archives" if ids else "you have no archive access"))
            customer_id = ids[0]
    return access.get_customer(user, customer_id, Perm.ARCHIVE_SEARCH)


def _clip(text: str) -> tuple[str, bool]:
    return (text[:MAX_TEXT], True) if len(text) > MAX_TEXT else (text, False)


def search_messages(user: Any, query: str = "", limit: int = 20, offset: int = 0, customer: str = "") -> dict[str, Any]:
    page_limit, page_offset = limits.parse_paging(str(limit), str(offset))
    if len(query) > limits.MAX_QUERY_LENGTH:
        raise ValidationError(f"the query is longer than {limits.MAX_QUERY_LENGTH} characters")
    cust = customer_for(user, customer)
    scope = search_service.scope_for(user, cust)
    result = search_service.run(cust, query, scope, limit=page_limit, offset=page_offset, sort="best")
    audit.record("archive.search", actor=user, customer=cust,
                 detail={"query": query[:500], "total": result.total, "channel": CHANNEL})
    hits = [{k: row[k] for k in ("id", "subject", "from", "date", "mailbox", "snippet")}
            for row in search_service.hit_rows(result, scope)]
    return {"customer": cust.id, "total": result.total, "offset": page_offset, "hits": hits}


def _message(user: Any, message_id: str, *, download: bool = False) -> Any:
    """``messages.get_for`` (``get_for_download``); a message of another customer is "no such message"
    too, as one that does not exist (the id reveals nothing)."""
    try:
        return (messages.get_for_download if download else messages.get_for)(user, message_id)
    except Http404:
        raise Http404("no such message") from None


def get_message(user: Any, message_id: str) -> dict[str, Any]:
    msg = _message(user, message_id)
    meta = messages.metadata(msg, messages.scope_of(user, msg))
    parsed = messages.parsed(msg)
    body, truncated = _clip(parsed.body_text or html_to_text(parsed.body_html or ""))
    audit.record("archive.view", actor=user, customer=msg.customer, target=msg.id, detail={"channel": CHANNEL})
    return {
        "id": msg.id,
        "headers": {"subject": meta["subject"], "from": meta["from"], "to": meta["to"], "date": meta["date"],
                    "message_id": meta["message_id"]},
        "mailboxes": sorted({r["mailbox"] for r in meta["refs"]}),
        "folders": [f"{r['mailbox']}/{r['folder']}" for r in meta["refs"]],
        "sha256": msg.sha256, "size": msg.size,
        "body_text": body, "body_truncated": truncated,
        "attachments": [{"index": i, "filename": a.filename, "content_type": a.content_type, "size": a.size}
                        for i, a in enumerate(parsed.attachments)],
    }


def get_attachment_text(user: Any, message_id: str, index: int) -> dict[str, Any]:
    msg = _message(user, message_id, download=True)
    attachments = messages.parsed(msg).attachments
    if not 0 <= index < len(attachments):
        raise Http404(f"no attachment {index} in this message ({len(attachments)} attachments)")
    att = attachments[index]
    text, truncated = _clip(att.text)
    audit.record("archive.attachment", actor=user, customer=msg.customer, target=msg.id,
                 detail={"channel": CHANNEL, "part": att.part_path})
    return {"id": msg.id, "index": index, "filename": att.filename, "content_type": att.content_type,
            "text": text, "truncated": truncated, "extract_error": att.extract_error}


def list_mailboxes(user: Any, customer: str = "") -> dict[str, Any]:
    cust = customer_for(user, customer)
    scope = search_service.scope_for(user, cust)
    boxes = Mailbox.objects.filter(customer=cust).order_by("address")
    if scope.allowed_mailboxes is not None:
        boxes = boxes.filter(address__in=scope.allowed_mailboxes)
    rows = [b.address for b in boxes[:1000]]
    audit.record("archive.folders",  # the dashboard's mailbox and folder tree
                 actor=user, customer=cust, detail={"count": len(rows), "channel": CHANNEL})
    return {"customer": cust.id, "mailboxes": rows}
