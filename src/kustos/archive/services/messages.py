"""Reading archived messages: metadata, original bytes, parsed view, attachments.

Every read goes through ``get_for`` (scope check) and is audit-logged; nothing here
alters stored bytes or core metadata (GoBD: immutability).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive import ocr_texts
from kustos.archive.documents import build_documents
from kustos.archive.models import Message
from kustos.archive.services.search import Scope, scope_for
from kustos.archive.tax_relevance import is_tax_relevant
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.mail import get_part, parse


def visible(message: Message, scope: Scope) -> bool:
    """Whether ``scope`` (accounts.access.visibility) lets its user see ``message``: the same
    conditions the search applies inside the index query."""
    if scope.tax_relevant_only and not is_tax_relevant(message):  # own flag, folder, class or rule
        return False
    if scope.allowed_mailboxes is not None:
        boxes = set(message.refs.values_list("mailbox__address", flat=True))
        if not boxes & set(scope.allowed_mailboxes):
            return False
    if scope.date_from or scope.date_to:
        when = message.date or message.archived_at  # the date the search index files it under
        if when is None:
            return False
        if scope.date_from and when < scope.date_from:
            return False
        if scope.date_to and when >= scope.date_to:
            return False
    return not message.restricted or scope.include_restricted


def scope_of(user: Any, message: Message) -> Scope:
    """The visibility filter of ``user`` in the message's customer."""
    return scope_for(user, message.customer)


def get_for(user: Any, message_id: str) -> Message:
    """The message if ``user`` may read it (else 404, never revealing existence)."""
    message = Message.objects.select_related("customer").filter(id=message_id).first()
    if message is None:
        raise Http404("no such message")
    customer = access.get_customer(user, message.customer_id, Perm.ARCHIVE_SEARCH)
    if not visible(message, scope_for(user, customer)):
        raise Http404("no such message")
    return message


def get_for_download(user: Any, message_id: str) -> Message:
    """``get_for`` for downloads (EML, original, attachment, PDF): also 403 when the user's customer
    admin turned self-service download off."""
    message = get_for(user, message_id)
    access.require_self_service(user, message.customer, "download")
    return message


def raw(message: Message) -> bytes:
    return runtime.store_for(message.customer_id).get(message.vault_id)


def vault_ids(customer_id: str, message_ids: list[str]) -> dict[str, str]:
    """The vault object of each of ``message_ids`` still in the customer's archive (one query)."""
    return dict(Message.objects.filter(customer_id=customer_id, id__in=message_ids).values_list("id", "vault_id"))


def raw_object(customer_id: str, vault_id: str) -> bytes:
    """The archived bytes of a vault object found by :func:`vault_ids`."""
    return runtime.store_for(customer_id).get(vault_id)


def original(message: Message) -> bytes | None:
    if not message.original_vault_id:
        return None
    return runtime.store_for(message.customer_id).get(message.original_vault_id)


def visible_refs(message: Message, scope: Scope) -> list[dict[str, Any]]:
    """The message's references (mailbox, folder, envelope) that ``scope`` may see.

    A user limited to some mailboxes sees only the references of those mailboxes, and of
    their envelope recipients only those addresses: other mailboxes' folders and other
    recipients (BCC of a journal envelope included) stay hidden.
    """
    allowed = None if scope.allowed_mailboxes is None else set(scope.allowed_mailboxes)
    refs = []
    for r in message.refs.select_related("mailbox", "folder").order_by("id"):
        if allowed is not None and r.mailbox.address not in allowed:
            continue
        envelope_to = list(r.envelope_to or [])
        if allowed is not None:
            envelope_to = [a for a in envelope_to if str(a).strip().lower() in allowed]
        refs.append({"mailbox": r.mailbox.address, "folder": r.folder.path, "source": r.source,
                     "envelope_from": r.envelope_from, "envelope_to": envelope_to,
                     "added_at": r.added_at.isoformat()})
    return refs


def metadata(message: Message, scope: Scope | None = None) -> dict[str, Any]:
    """The message's metadata; ``scope`` limits the references to what its user may see
    (None = all, for the local CLI)."""
    refs = visible_refs(message, scope or Scope())
    return {
        "id": message.id, "customer": message.customer_id, "seq": message.seq, "sha256": message.sha256,
        "vault_id": message.vault_id,
        "size": message.size, "message_id": message.message_id, "subject": message.subject,
        "from": message.from_addr, "to": message.to_addrs, "date": message.date.isoformat() if message.date else None,
        "archived_at": message.archived_at.isoformat(), "has_attachments": message.has_attachments,
        "attachment_count": message.attachment_count, "parse_error": message.parse_error,
        "retention_year": message.retention_year, "original_kind": message.original_kind,
        "tax_relevant": message.tax_relevant,
        # own flag, or a flagged folder, retention class or rule (requirement 15)
        "tax_relevant_effective": is_tax_relevant(message), "refs": refs,
        "ocr": ocr_texts.report(message),  # per scanned attachment: done / failed / skipped, reason, characters
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


def flag_tax_relevant(message: Message, on: bool, *, actor: Any) -> Message:
    """Mark (or unmark) ``message`` tax-relevant and reindex it, so auditor grants limited to
    tax-relevant mail find it inside the index query. Callers check the permission first
    (``flag_tax_relevant_as`` for users; the local CLI has the installation's authority)."""
    if message.tax_relevant != on:
        Message.objects.filter(id=message.id).update(tax_relevant=on, indexed=False)
        message.tax_relevant = on
        reindex(message)
    audit.record("archive.tax_relevant", actor=actor, customer=message.customer, target=message.id,
                 detail={"tax_relevant": on})
    return message


def flag_tax_relevant_as(user: Any, message_id: str, on: bool) -> Message:
    """Dashboard/API: the message if ``user`` may see it (else 404) and flag it (else 403)."""
    message = get_for(user, message_id)
    if not access.can_flag_tax_relevant(user, message.customer):
        raise PermissionDenied("your role may not mark messages tax-relevant")
    return flag_tax_relevant(message, on, actor=user)


def reindex(message: Message) -> None:
    """Replace the message's search document (after a change of an indexed field)."""
    index = runtime.search_index()
    index.add(build_documents(None, [message], {message.id: parsed(message)}))
    index.commit()
    Message.objects.filter(id=message.id).update(indexed=True)
