"""Tax-relevant folders (requirement 15): flag a folder and every message archived in it
counts as tax-relevant (``kustos.archive.tax_relevance`` is the rule; messages and retention
classes/rules carry their own flags).

Flagging marks the folder's messages ``indexed=False`` and rewrites their search documents at
once; a crash in between leaves them pending for ``Ingestor.reindex_pending`` (every ingest
session of the customer) or the next call of ``reindex_pending`` here.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.documents import build_documents
from kustos.archive.models import Folder, Message
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.search import IndexBusy
from kustos.tenants.models import Customer

REINDEX_CHUNK = 200


def get_folder(customer: Customer, mailbox: str, path: str) -> Folder:
    """The folder ``path`` of ``mailbox`` in ``customer`` (404 naming what is missing)."""
    address = (mailbox or "").strip().lower()
    folder = (Folder.objects.select_related("mailbox")
              .filter(mailbox__customer=customer, mailbox__address=address, path=path).first())
    if folder is None:
        raise Http404(f"no folder {path!r} in mailbox {address!r}")
    return folder


def folders(customer: Customer) -> list[dict[str, Any]]:
    """Every folder of the customer with its flag (mailbox, folder, tax_relevant)."""
    rows = Folder.objects.filter(mailbox__customer=customer).select_related("mailbox").order_by(
        "mailbox__address", "path")
    return [row(f) for f in rows]


def row(folder: Folder, messages: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"mailbox": folder.mailbox.address, "folder": folder.path,
                           "tax_relevant": folder.tax_relevant}
    if messages is not None:
        out["messages"] = messages
    return out


def reindex_pending(customer: Customer) -> int:
    """Rewrite the search documents of the customer's messages marked ``indexed=False``."""
    store = runtime.store_for(customer.id)
    index = runtime.search_index()
    ctx = SimpleNamespace(vault_store=store)
    done = 0
    while True:
        chunk = list(Message.objects.filter(customer=customer, indexed=False).order_by("seq")[:REINDEX_CHUNK])
        if not chunk:
            return done
        index.add(build_documents(ctx, chunk, {}))
        index.commit()
        Message.objects.filter(id__in=[m.id for m in chunk]).update(indexed=True)
        done += len(chunk)


def reindex_pending_if_free(customer: Customer) -> int:
    """``reindex_pending`` unless an ingest holds the index writer: then its session rewrites the
    pending documents (``Ingestor.reindex_pending``)."""
    try:
        return reindex_pending(customer)
    except IndexBusy:
        return 0


def reindex_messages(customer: Customer, ids: list[str]) -> int:
    """Mark ``ids`` for reindexing and rewrite their documents (after their effective flag may
    have changed: a message's retention class or rule was (re)assigned)."""
    for start in range(0, len(ids), 1000):
        Message.objects.filter(customer=customer, id__in=ids[start:start + 1000]).update(indexed=False)
    return reindex_pending_if_free(customer)


def retention_flag_changed(customer: Customer, *, class_name: str = "", class_id: str = "",
                           rule_id: str = "") -> int:
    """A retention class's or rule's tax-relevant flag changed: rewrite the documents of the
    messages it classified (lifecycle calls this after changing the flag)."""
    keys = [k for k in (class_name, class_id) if k]
    qs = Message.objects.none()
    if keys:
        qs = qs | Message.objects.filter(customer=customer, retention_class__in=keys)
    if rule_id:
        qs = qs | Message.objects.filter(customer=customer, retention_rule=rule_id)
    return reindex_messages(customer, list(qs.values_list("id", flat=True)))


def flag_folder(folder: Folder, on: bool, *, actor: Any) -> dict[str, Any]:
    """Mark (or unmark) ``folder`` tax-relevant and reindex its messages. Callers check the
    permission first (``flag_folder_as`` for users; the local CLI has the installation's authority)."""
    customer = folder.mailbox.customer
    ids = list(Message.objects.filter(refs__folder=folder).values_list("id", flat=True).distinct())
    if folder.tax_relevant != on:
        Folder.objects.filter(id=folder.id).update(tax_relevant=on)
        folder.tax_relevant = on
        for start in range(0, len(ids), 1000):
            Message.objects.filter(id__in=ids[start:start + 1000]).update(indexed=False)
        reindex_pending_if_free(customer)
    audit.record("archive.folder_tax_relevant", actor=actor, customer=customer,
                 target=f"{folder.mailbox.address}/{folder.path}"[:200],
                 detail={"tax_relevant": on, "messages": len(ids)})
    return row(folder, len(ids))


def flag_folder_as(user: Any, customer_id: str, mailbox: str, path: str, on: bool) -> dict[str, Any]:
    """Dashboard/API: 404 for a customer or folder the user cannot see, 403 for a user who may
    not flag (end users, auditors, the operator)."""
    customer = access.get_customer(user, customer_id, Perm.ARCHIVE_SEARCH)
    if not access.can_flag_tax_relevant(user, customer):
        raise PermissionDenied("your role may not mark folders tax-relevant")
    return flag_folder(get_folder(customer, mailbox, path), on, actor=user)


def folders_as(user: Any, customer_id: str) -> list[dict[str, Any]]:
    """The folders with their flags, for a user who may flag them (else 403)."""
    customer = access.get_customer(user, customer_id, Perm.ARCHIVE_SEARCH)
    if not access.can_flag_tax_relevant(user, customer):
        raise PermissionDenied("your role may not mark folders tax-relevant")
    return folders(customer)
