"""Saved archive searches of a customer (requirement 16: shared read-only with its auditors, Z2).

Who sees, edits and shares which saved search is decided by ``accounts.access``
(``saved_search_visible``, ``can_edit_saved_search``, ``can_share_with_auditors``). Running a
saved search is an ordinary archive search as the caller: the caller's visibility (an auditor's
grant: mailboxes, date range, tax-relevant only, expiry) applies inside the index query. Every
change and every run is audit-logged.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import search as search_service
from kustos.audit import services as audit
from kustos.compliance.models import SavedSearch
from kustos.search import QuerySyntaxError, parse_query
from kustos.tenants.models import Customer

MAX_NAME = 200
MAX_QUERY = 2000


def row(saved: SavedSearch, *, editable: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": saved.id, "customer": saved.customer_id, "name": saved.name, "query": saved.query,
                           "owner": saved.owner, "shared_with_auditors": saved.shared_with_auditors,
                           "created_at": saved.created_at.isoformat()}
    if editable is not None:
        out["editable"] = editable
    return out


def _clean(name: str, query: str) -> tuple[str, str]:
    name, query = (name or "").strip(), (query or "").strip()
    if not name:
        raise ValidationError("a saved search needs a name")
    if len(name) > MAX_NAME:
        raise ValidationError(f"name too long: {len(name)} characters (at most {MAX_NAME})")
    if len(query) > MAX_QUERY:
        raise ValidationError(f"query too long: {len(query)} characters (at most {MAX_QUERY})")
    try:
        parse_query(query or "*")
    except QuerySyntaxError as exc:
        raise ValidationError(f"invalid query: {exc}") from exc
    return name, query or "*"


# --- the installation's authority (local CLI) -------------------------------------------

def create(customer: Customer, name: str, query: str, *, owner: str, shared: bool = False,
           actor: Any) -> SavedSearch:
    name, query = _clean(name, query)
    try:
        with transaction.atomic():
            saved = SavedSearch.objects.create(customer=customer, name=name, query=query, owner=owner[:254],
                                               shared_with_auditors=shared)
    except IntegrityError as exc:
        raise ValidationError(f"a saved search named {name!r} already exists") from exc
    audit.record("saved_search.create", actor=actor, customer=customer, target=saved.id,
                 detail={"name": name, "query": query[:500], "shared": shared})
    return saved


def share(saved: SavedSearch, on: bool, *, actor: Any) -> SavedSearch:
    if saved.shared_with_auditors != on:
        SavedSearch.objects.filter(id=saved.id).update(shared_with_auditors=on)
        saved.shared_with_auditors = on
    audit.record("saved_search.share", actor=actor, customer=saved.customer, target=saved.id,
                 detail={"name": saved.name, "shared": on})
    return saved


def remove(saved: SavedSearch, *, actor: Any) -> dict[str, Any]:
    out = row(saved)
    saved.delete()
    audit.record("saved_search.remove", actor=actor, customer=saved.customer, target=out["id"],
                 detail={"name": out["name"]})
    return out


def by_id(saved_id: str) -> SavedSearch:
    saved = SavedSearch.objects.select_related("customer").filter(id=saved_id).first()
    if saved is None:
        raise Http404(f"no saved search with id {saved_id!r}")
    return saved


def of_customer(customer: Customer) -> list[SavedSearch]:
    return list(SavedSearch.objects.filter(customer=customer).order_by("name"))


# --- as a user (dashboard, API) -----------------------------------------------------------

def _customer(user: Any, customer_id: str) -> Customer:
    """The customer if ``user`` may search it now (an auditor: an active grant), else 404/403."""
    customer = access.get_customer(user, customer_id, Perm.ARCHIVE_SEARCH)
    access.visibility(user, customer)  # an auditor without an active grant: 404
    return customer


def get_as(user: Any, saved_id: str) -> SavedSearch:
    """The saved search if ``user`` may see it (else 404, never revealing existence)."""
    saved = SavedSearch.objects.select_related("customer").filter(id=saved_id).first()
    if saved is None:
        raise Http404("no such saved search")
    try:
        _customer(user, saved.customer_id)
    except PermissionDenied as exc:
        raise Http404("no such saved search") from exc
    if not access.saved_search_visible(user, saved.owner, saved.shared_with_auditors):
        raise Http404("no such saved search")
    return saved


def list_as(user: Any, customer_id: str) -> list[dict[str, Any]]:
    customer = _customer(user, customer_id)
    return [row(s, editable=access.can_edit_saved_search(user, s.owner)) for s in of_customer(customer)
            if access.saved_search_visible(user, s.owner, s.shared_with_auditors)]


def create_as(user: Any, customer_id: str, name: str, query: str, shared: bool = False) -> SavedSearch:
    customer = _customer(user, customer_id)
    if not access.can_edit_saved_search(user, user.email):
        raise PermissionDenied("your role may not save searches")
    if shared and not access.can_share_with_auditors(user, customer):
        raise PermissionDenied("your role may not share searches with auditors")
    return create(customer, name, query, owner=user.email, shared=shared, actor=user)


def share_as(user: Any, saved_id: str, on: bool) -> SavedSearch:
    saved = get_as(user, saved_id)
    if not access.can_share_with_auditors(user, saved.customer):
        raise PermissionDenied("your role may not share searches with auditors")
    return share(saved, on, actor=user)


def remove_as(user: Any, saved_id: str) -> dict[str, Any]:
    saved = get_as(user, saved_id)
    if not access.can_edit_saved_search(user, saved.owner):
        raise PermissionDenied("saved searches shared with you are read-only")
    return remove(saved, actor=user)


def run_as(user: Any, saved_id: str, *, limit: int = 20, offset: int = 0) -> tuple[SavedSearch, dict[str, Any]]:
    """Run the saved search as ``user``: the user's visibility applies inside the index query."""
    saved = get_as(user, saved_id)
    result, rows = search_service.search_rows_as(user, saved.customer_id, saved.query, limit=limit, offset=offset)
    audit.record("saved_search.run", actor=user, customer=saved.customer, target=saved.id,
                 detail={"name": saved.name, "total": result.total})
    return saved, {"total": result.total, "hits": rows}
