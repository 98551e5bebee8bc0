"""Dashboard restore from a backup snapshot, as a wizard: pick the point in time (snapshots page or an
account's timeline), tick the items on the browse page (nothing ticked = the folder shown), choose where
to and what to do when an item exists, review what will be restored (items and bytes per account), then
start it as a job (its page shows progress and the report). A post without ``step=review`` starts at
once. Thin over ``backup.services.restore``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kustos.accounts.access import Perm
from kustos.backup.services import restore
from kustos.web.views.backup import _snapshot, _source


@login_required
@require_POST
def backup_restore(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_RESTORE)
    snap = _snapshot(source, request.POST.get("snapshot", ""))
    account = request.POST.get("account", "").strip()
    path = request.POST.get("path", "").strip() if account else ""
    ticked = [p.strip() for p in request.POST.getlist("item") if p.strip()] if account else []
    options = {"account": account or None, "paths": ticked or ([path] if path else None),
               "to_account": request.POST.get("to_account", "").strip() or None,
               "to_path": request.POST.get("to_path", "").strip() or None,
               "conflict": request.POST.get("conflict", "skip"),
               "to_source": request.POST.get("to_source", "").strip() or None}
    try:
        if request.POST.get("step") == "review":
            params = restore.clean(snap, **options)
            return render(request, "kustos/backup/restore_review.html", {
                "customer": customer, "source": source, "snapshot": snap, "params": params,
                "preview": restore.preview(snap, params), "folder": path,
                "target": restore.target_source(snap, params["to_source"]) if params["to_source"] else None})
        job = restore.request(snap, actor=request.user, **options)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        query = urlencode({"snapshot": snap.id, "account": account, "path": path})
        return redirect(f"/customers/{customer.id}/sources/{source.id}/backup/browse/?{query}")
    messages.success(request, _("The restore was started (job %(id)s).") % {"id": job.id})
    return redirect(f"/jobs/{job.id}/")
