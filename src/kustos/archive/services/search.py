"""Archive search for a user (permission filter inside the index query) or the local CLI."""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Message, MessageRef
from kustos.archive.services import search_rebuild
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.search import IndexOutdated, IndexRebuilding, SearchRequest, SearchResult
from kustos.tenants.models import Customer

#: What a user may see in one customer (the permission filter applied inside the index query).
#: ``Scope()`` sees everything (the local CLI, which runs with the installation's authority).
Scope = access.Visibility


def scope_for(user: Any, customer: Customer) -> Scope:
    """The user's complete visibility filter in ``customer`` (decided by accounts.access); 403 for an end
    user whose customer admin turned self-service search off (every search, message view, download and
    export of a user passes here)."""
    access.require_self_service(user, customer, "search")
    return access.visibility(user, customer)


def download_scope_for(user: Any, customer: Customer) -> Scope:
    """``scope_for`` for taking mail away (downloads, exports): also 403 when self-service download is off."""
    scope = scope_for(user, customer)
    access.require_self_service(user, customer, "download")
    return scope


def run(customer: Customer, query: str, scope: Scope, *, mailbox: str | None = None, limit: int = 20,
        offset: int = 0, sort: str = "date", facets: bool = False) -> SearchResult:
    """Search in ``customer`` within ``scope``; ``result.took_ms`` is the time the index took. The
    page, API and CLI ask for sort="best"; the default "date" suits callers paging through all."""
    started = time.perf_counter()
    result = _run(customer, query, scope, mailbox=mailbox, limit=limit, offset=offset, sort=sort, facets=facets)
    result.took_ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def _run(customer: Customer, query: str, scope: Scope, *, mailbox: str | None, limit: int,
         offset: int, sort: str, facets: bool) -> SearchResult:
    allowed = scope.allowed_mailboxes
    if mailbox:
        box = mailbox.strip().lower()
        allowed = [box] if allowed is None or box in allowed else []
    request = SearchRequest(query=query.strip() or "*", customer=customer.id, allowed_mailboxes=allowed,
                            sort=sort, limit=limit, offset=offset, facets=facets,  # type: ignore[arg-type]
                            date_from=scope.date_from, date_to=scope.date_to,
                            tax_relevant_only=scope.tax_relevant_only)
    try:
        return runtime.search_index().search(request)
    except IndexRebuilding:
        raise
    except IndexOutdated:  # the first search after an upgrade that changed the analysis
        if search_rebuild.ensure_started(customer) is None:
            raise  # a command running jobs inline: the message names `kustos index rebuild`
        raise IndexRebuilding(customer.id, f"{timezone.now():%Y-%m-%d %H:%M} UTC, started automatically "
                                           f"after an upgrade") from None


def _authorised(user: Any, customer_id: str) -> tuple[Customer, Scope]:
    customer = access.get_customer(user, customer_id, Perm.ARCHIVE_SEARCH)
    return customer, scope_for(user, customer)


def _logged(user: Any, customer: Customer, scope: Scope, query: str, **kwargs: Any) -> SearchResult:
    result = run(customer, query, scope, **kwargs)
    audit.record("archive.search", actor=user, customer=customer,
                 detail={"query": query[:500], "total": result.total})
    return result


def search_as(user: Any, customer_id: str, query: str, **kwargs: Any) -> SearchResult:
    """Search as ``user``: scope check, permission filter inside the query, audit record."""
    customer, scope = _authorised(user, customer_id)
    return _logged(user, customer, scope, query, **kwargs)


def search_rows_as(user: Any, customer_id: str, query: str, **kwargs: Any) -> tuple[SearchResult, list[dict[str, Any]]]:
    """Like ``search_as``, plus the hit rows (metadata of what the user may see) for display."""
    customer, scope = _authorised(user, customer_id)
    result = _logged(user, customer, scope, query, **kwargs)
    return result, hit_rows(result, scope)


def summary(result: SearchResult) -> dict[str, Any]:
    """What the API and CLI answer besides the hits: total, took_ms and (when asked) the facets."""
    out: dict[str, Any] = {"total": result.total, "took_ms": result.took_ms}
    if result.facets is not None:
        f = result.facets
        out["facets"] = {
            "mailbox": f.mailbox, "folder": f.folder, "year": f.year, "sender_domain": f.sender_domain,
            "has_attachment": {"with": f.has_attachment, "without": max(result.total - f.has_attachment, 0)},
        }
    return out


def hit_rows(result: SearchResult, scope: Scope) -> list[dict[str, Any]]:
    """Hits with the metadata the CLI/API promise (id, date, from, to, subject, folder, mailbox, sha256, snippet)."""
    ids = [h.id for h in result.hits]
    messages = {m.id: m for m in Message.objects.filter(id__in=ids)}
    refs: dict[str, MessageRef] = {}
    for ref in MessageRef.objects.filter(message_id__in=ids).select_related("mailbox", "folder").order_by("id"):
        if scope.allowed_mailboxes is not None and ref.mailbox.address not in scope.allowed_mailboxes:
            continue
        refs.setdefault(ref.message_id, ref)
    rows = []
    for hit in result.hits:
        msg = messages.get(hit.id)
        if msg is None:
            continue
        ref = refs.get(hit.id)
        rows.append({
            "id": msg.id, "date": msg.date.isoformat() if msg.date else None, "from": msg.from_addr,
            "to": msg.to_addrs, "subject": msg.subject, "folder": ref.folder.path if ref else "",
            "mailbox": ref.mailbox.address if ref else "", "sha256": msg.sha256, "snippet": hit.snippet,
            "size": msg.size, "has_attachments": msg.has_attachments,
        })
    return rows
