"""Reading archived messages: metadata, original bytes, parsed view, attachments.

Every read goes through ``get_for`` (scope check) and is audit-logged; nothing here
alters stored bytes or core metadata (GoBD: immutability).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Message
from kustos.archive.services.search import Scope, scope_for
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.mail import get_part, parse


def visible(message: Message, scope: Scope) -> bool:
    if scope.allowed_mailboxes is not None:
        boxes = set(message.refs.values_list("mailbox__address", flat=True))
        if not boxes & set(scope.allowed_mailboxes):
            return False
    if scope.date_from or scope.date_to:
        if message.date is None:
            return False
        if scope.date_from and message.date < scope.date_from:
            return False
        if scope.date_to and message.date >= scope.date_to:
            return False
    return not message.restricted or scope.allowed_mailboxes is None


def get_for(user: Any, message_id: str) -> Message:
    """The message if ``user`` may read it (else 404, never revealing existence)."""
    message = Message.objects.select_related("customer").filter(id=message_id).first()
    if message is None:
        raise Http404("no such message")
    customer = access.get_customer(user, message.customer_id, Perm.ARCHIVE_SEARCH)
    if not visible(message, scope_for(user, customer)):
        raise Http404("no such message")
    return message


def raw(message: Message) -> bytes:
    return runtime.vault().store(message.customer_id).get(message.vault_id)


def original(message: Message) -> bytes | None:
    if not message.original_vault_id:
        return None
    return runtime.vault().store(message.customer_id).get(message.original_vault_id)


def metadata(message: Message) -> dict[str, Any]:
    refs = [{"mailbox": r.mailbox.address, "folder": r.folder.path, "source": r.source,
             "envelope_from": r.envelope_from, "envelope_to": r.envelope_to, "added_at": r.added_at.isoformat()}
            for r in message.refs.select_related("mailbox", "folder").order_by("id")]
    return {
        "id": message.id, "customer": message.customer_id, "seq": message.seq, "sha256": message.sha256,
        "vault_id": message.vault_id,
        "size": message.size, "message_id": message.message_id, "subject": message.subject,
        "from": message.from_addr, "to": message.to_addrs, "date": message.date.isoformat() if message.date else None,
        "archived_at": message.archived_at.isoformat(), "has_attachments": message.has_attachments,
        "attachment_count": message.attachment_count, "parse_error": message.parse_error,
        "retention_year": message.retention_year, "original_kind": message.original_kind, "refs": refs,
    }


def parsed(message: Message) -> Any:
    return parse(raw(message))


def attachment(message: Message, part_path: str) -> tuple[bytes, str, str]:
    """(bytes, filename, content type) of one attachment by its MIME part path."""
    p = parsed(message)
    for att in getattr(p, "attachments", []):
        if att.part_path == part_path:
            return get_part(raw(message), part_path), att.filename or "attachment", att.content_type
    raise Http404("no such attachment")


def log_view(user: Any, message: Message, what: str) -> None:
    audit.record(f"archive.{what}", actor=user, customer=message.customer, target=message.id)
