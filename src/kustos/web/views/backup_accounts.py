"""The accounts of a source's backup plan and each account's snapshot timeline (every snapshot that
contains it: status, items, size, added/changed/removed, failed items; links to browse and restore
that snapshot at that account). Thin over ``kustos.backup.services.timeline``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.backup.services import plans, timeline
from kustos.web.views.backup import _source


@login_required
@require_GET
def backup_accounts(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_VIEW)
    plan = plans.for_source(source)
    return render(request, "kustos/backup/accounts.html", {
        "customer": customer, "source": source, "accounts": timeline.accounts(plan)})


@login_required
@require_GET
def backup_account(request: HttpRequest, customer_id: str, source_id: str, account: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_VIEW)
    found = timeline.account(plans.for_source(source), account)
    return render(request, "kustos/backup/account.html", {
        "customer": customer, "source": source, "account": timeline.public_account(found),
        "rows": timeline.snapshots(found), "can_restore": access.has_perm(request.user, Perm.BACKUP_RESTORE)})
