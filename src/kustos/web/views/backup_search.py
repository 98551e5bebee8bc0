"""The "Search backups" page of a customer: a query box, optionally one source or one snapshot, and the
hits (account, path, snapshot time, size, snippet) with links to browse the snapshot at the item's folder
and to download the item. Thin over ``kustos.backup.services.search``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.backup.models import BackupAccount, BackupSnapshot
from kustos.backup.services import search as backup_search
from kustos.search import InvalidRequest, QuerySyntaxError, limits

PAGE_SIZE = 50


def _account_names(customer: Any, hits: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(source, account id) -> the account's name (a user's e-mail address, a site's title) for the hits."""
    rows = BackupAccount.objects.filter(plan__customer=customer, scope_id__in={h["account"] for h in hits})
    return {(source, scope): name for source, scope, name in rows.values_list("plan__source_id", "scope_id", "name")
            if name and name != scope}


def _when(text: str) -> datetime | str:
    """A hit's ISO time as a datetime, so the page shows it in the user's time zone like the snapshot list."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return text


@login_required
@require_GET
def backup_search_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.BACKUP_RESTORE)
    form = {k: request.GET.get(k, "").strip() for k in ("q", "snapshot", "source")}
    plans = list(customer.backup_plans.select_related("source"))
    snapshots = BackupSnapshot.objects.filter(plan__in=plans).select_related("plan__source").order_by("-time")[:200]
    context: dict[str, Any] = {"customer": customer, "form": form, "plans": plans, "snapshots": snapshots}
    status = 200
    if form["q"]:
        try:
            page = limits.parse_page(request.GET.get("page", ""), PAGE_SIZE)
            result = backup_search.search_as(request.user, customer.id, form["q"], snapshot=form["snapshot"] or None,
                                             source=form["source"] or None, limit=PAGE_SIZE,
                                             offset=(page - 1) * PAGE_SIZE)
        except (QuerySyntaxError, InvalidRequest, ValueError) as exc:
            context["error"], status = getattr(exc, "message", str(exc)), 400
        else:
            names = _account_names(customer, result.hits)
            for hit in result.hits:
                hit["folder"] = hit["path"].rsplit("/", 1)[0] if "/" in hit["path"] else ""
                hit["account_name"] = names.get((hit["source"], hit["account"]), "")
                hit["when"], hit["first_when"] = _when(hit["time"]), _when(hit["first_time"])
            context.update(result=result, hits=result.hits, page=page,
                           has_next=result.total > page * PAGE_SIZE, has_prev=page > 1)
    return render(request, "kustos/backup/search.html", context, status=status)
