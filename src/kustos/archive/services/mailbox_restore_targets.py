"""Which of a customer's sources writes into a target mailbox, and its mailbox writer.

A source can restore when its kind has ``build_mailbox_writer`` (IMAP APPEND, Microsoft 365 Graph,
Gmail API). The source for a mailbox is the one named (``--source``), else the customer's capable
source whose own mailbox is that address (an IMAP account), else the one that archived mail of that
mailbox, else the only capable source of the customer; anything else asks for ``--source``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from kustos.archive.models import MessageRef, Source
from kustos.core.egress import egress_policy
from kustos.core.secrets import open_secret
from kustos.sources.kinds import registry
from kustos.tenants.models import Customer


def capable(customer: Customer) -> list[Source]:
    """The customer's sources whose kind can write into a mailbox."""
    out = []
    for source in Source.objects.filter(customer=customer).order_by("created_at", "id"):
        kind = registry.KINDS.get(source.kind)
        if kind is not None and kind.build_mailbox_writer is not None:
            out.append(source)
    return out


def named(customer: Customer, source_id: str) -> Source:
    """The customer's source ``source_id`` that can restore, or ValidationError."""
    source = Source.objects.filter(customer=customer, id=source_id).first()
    if source is None:
        raise ValidationError(f"no source {source_id!r}")
    kind = registry.KINDS.get(source.kind)
    if kind is None or kind.build_mailbox_writer is None:
        raise ValidationError(f"source {source_id} ({source.kind}) cannot restore into a mailbox")
    return source


def _own_mailbox(source: Source) -> str:
    kind = registry.KINDS[source.kind]
    # a source whose scopes are mailboxes (IMAP) logs into one account: its own address
    return (kind.display_name(source.config) if "mailbox" in kind.scope_kinds else "").strip().lower()


def for_mailbox(customer: Customer, mailbox: str, source_id: str = "") -> Source:
    """The source that serves ``mailbox`` (see the module text), or ValidationError."""
    if source_id:
        return named(customer, source_id)
    mailbox = mailbox.strip().lower()
    sources = capable(customer)
    if not sources:
        raise ValidationError("the customer has no source that can restore into a mailbox "
                              "(IMAP, Microsoft 365 or Google Workspace)")
    own = [s for s in sources if _own_mailbox(s) == mailbox]
    if own:
        return own[0]
    served = set(MessageRef.objects.filter(message__customer=customer, mailbox__address=mailbox)
                 .values_list("source", flat=True).distinct())
    archived = [s for s in sources if f"{s.kind}:{s.id}" in served and not _own_mailbox(s)]
    if len(archived) == 1:
        return archived[0]
    tenant_wide = [s for s in sources if not _own_mailbox(s)]
    if len(tenant_wide) == 1:
        return tenant_wide[0]
    raise ValidationError(f"no single source serves mailbox {mailbox!r}; name one with --source "
                          f"({', '.join(s.id for s in sources)})")


def writer(source: Source) -> Any:
    kind = registry.KINDS[source.kind]
    assert kind.build_mailbox_writer is not None
    return kind.build_mailbox_writer(source.config, open_secret(source.secret, source.id), egress_policy())
