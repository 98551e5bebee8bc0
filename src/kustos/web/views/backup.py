"""Backup pages per customer: overview (each account's last snapshot, status, protected size, a chart of
protected data over time), the snapshot list of a source's plan (with its chart), and a browse page
with ZIP download. Thin views over
``kustos.backup.services``; permissions come from ``accounts/access.py``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Source
from kustos.backup.models import BackupAccount, BackupPlan, BackupSnapshot
from kustos.backup.services import alerts, browse, download, plans, restore, retention, seed
from kustos.tenants.models import Customer
from kustos.web.views.backup_chart import protected_charts


def _source(user: Any, customer_id: str, source_id: str, perm: Perm) -> tuple[Customer, Source]:
    customer = access.get_customer(user, customer_id, perm)
    source = Source.objects.filter(customer=customer, id=source_id).select_related("customer").first()
    if source is None:
        raise Http404("no such source")
    return customer, source


def _snapshot(source: Source, snapshot_id: str) -> BackupSnapshot:
    plan = plans.for_source(source)
    snap = plan.snapshots.filter(id=snapshot_id).first() if snapshot_id else plan.snapshots.order_by("-time").first()
    if snap is None:
        raise Http404("no such backup snapshot")
    return snap


@login_required
@require_GET
def backup_overview(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.BACKUP_VIEW)
    plan_rows = [{"plan": plans.public(p), "source": p.source, "snapshots": p.snapshots.count()}
                 for p in customer.backup_plans.select_related("source")]
    return render(request, "kustos/backup/overview.html", {
        "customer": customer, "accounts": browse.overview(customer), "plans": plan_rows,
        "unprotected": plans.backup_capable(customer), "charts": protected_charts(customer, request.GET.get("days")),
        "backup_alerts": alerts.for_customer(customer)[:50], "open_critical": alerts.open_critical(customer),
        "can_manage": access.has_perm(request.user, Perm.BACKUP_MANAGE),
        "can_restore": access.has_perm(request.user, Perm.BACKUP_RESTORE)})


def _count(raw: str) -> int | str:
    """A retention count from the form: empty is 0; anything not a number is left for the service to refuse."""
    raw = raw.strip()
    try:
        return int(raw) if raw else 0
    except ValueError:
        return raw


@login_required
@require_http_methods(["GET", "POST"])
def backup_enable(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    """Enable backup for a source or change its plan: all scopes (incl. new ones) or listed ids, services."""
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_MANAGE)
    try:
        offered = plans.offered_services(plans.kind_for(source))
    except ValidationError:
        raise Http404("this source offers no backup") from None
    plan = BackupPlan.objects.filter(source=source).first()
    form = {"scope": "all" if plan is None or plan.all_scopes else "list",
            "scope_ids": "\n".join(plan.scopes) if plan else "",
            "services": plan.services if plan else list(offered),
            "interval_minutes": plan.interval_minutes if plan else 480, "paused": bool(plan and plan.paused),
            **{name: getattr(plan, name) if plan else 0 for name in retention.RULES}}
    error, status = "", 200
    if request.method == "POST":
        ids = [s for s in request.POST.get("scope_ids", "").replace(",", " ").split() if s]
        form = {"scope": request.POST.get("scope", "all"), "scope_ids": request.POST.get("scope_ids", ""),
                "services": request.POST.getlist("services"), "interval_minutes": request.POST.get("interval_minutes"),
                "paused": request.POST.get("paused") == "on",
                **{name: _count(request.POST.get(name, "")) for name in retention.RULES}}
        try:
            interval = int(form["interval_minutes"] or 480)
        except ValueError:
            interval = -1
        try:
            if form["scope"] != "all" and not ids:
                raise ValidationError(_("Name at least one user, site or team, or choose all."))
            plans.enable(source, scopes=None if form["scope"] == "all" else ids,
                         services=form["services"] or None, interval_minutes=interval, paused=form["paused"],
                         keep={name: form[name] for name in retention.RULES}, actor=request.user)
        except ValidationError as exc:
            error, status = "; ".join(exc.messages), 400
        else:
            messages.success(request, _("Backup is enabled for %(name)s.") % {"name": source.name})
            return redirect(f"/customers/{customer.id}/sources/{source.id}/backup/")
    return render(request, "kustos/backup/enable.html", {
        "customer": customer, "source": source, "offered": offered, "form": form, "error": error,
        "plan": plan}, status=status)


@login_required
@require_POST
def backup_run(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_MANAGE)
    job = plans.run_now(plans.for_source(source), actor=request.user)
    messages.success(request, _("The backup run was started (job %(id)s).") % {"id": job.id})
    return redirect(f"/customers/{customer.id}/sources/{source.id}/backup/")


def _unmatched(plan: BackupPlan) -> list[str]:
    """The ids a plan names that matched no account at its last successful run (an e-mail address where the
    platform's id was needed protects nothing, silently otherwise); none before a run succeeded."""
    if plan.all_scopes or plan.last_success_at is None:
        return []
    backed_up = set(plan.accounts.values_list("scope_id", flat=True))
    known = backed_up | {scope.split(":", 1)[-1] for scope in backed_up}
    return [entry for entry in plan.scopes if entry.replace("/", "_") not in known]


@login_required
@require_GET
def backup_snapshots(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_VIEW)
    plan = plans.for_source(source)
    return render(request, "kustos/backup/snapshots.html", {
        "customer": customer, "source": source, "plan": plans.public(plan), "snapshots": browse.snapshots(plan),
        "unmatched": _unmatched(plan),
        "charts": protected_charts(customer, request.GET.get("days"), plan=plan),
        "can_manage": access.has_perm(request.user, Perm.BACKUP_MANAGE),
        "can_restore": access.has_perm(request.user, Perm.BACKUP_RESTORE)})


@login_required
@require_GET
def backup_browse(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_RESTORE)
    snap = _snapshot(source, request.GET.get("snapshot", ""))
    account = request.GET.get("account") or None
    path = request.GET.get("path", "") if account else ""
    rows = browse.ls(snap, account, path)
    names = dict(BackupAccount.objects.filter(plan=snap.plan).values_list("scope_id", "name"))
    for row in rows:  # an account by its name (a user's e-mail address), as the accounts page shows it
        row["name"] = "" if names.get(row["account"]) in (None, row["account"]) else names[row["account"]]
    crumbs = []
    if account:
        crumbs.append({"name": names.get(account) or account, "path": ""})
        walked = []
        for part in [p for p in path.split("/") if p]:
            walked.append(part)
            crumbs.append({"name": part, "path": "/".join(walked)})
    return render(request, "kustos/backup/browse.html", {
        "customer": customer, "source": source, "snapshot": snap, "account": account or "", "path": path,
        "rows": rows, "crumbs": crumbs, "targets": restore.targets(source), "can_seed": seed.can_seed(source)})


@login_required
@require_GET
def backup_download(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    _, source = _source(request.user, customer_id, source_id, Perm.BACKUP_RESTORE)
    snap = _snapshot(source, request.GET.get("snapshot", ""))
    account = request.GET.get("account") or None
    stream = download.zip_stream(snap, account, request.GET.get("path", "") if account else "", actor=request.user)
    resp = StreamingHttpResponse(stream, content_type="application/zip")
    resp["Content-Disposition"] = f'attachment; filename="backup-{snap.id}.zip"'
    return resp
