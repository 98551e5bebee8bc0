"""Dashboard seeding from a backup snapshot (form on the snapshot's browse page): copy the records of an
object matching a filter, with all their parents, into another source of the customer (e.g. a sandbox
org), optionally masking personal fields; starts a job whose page shows the report. Thin over
``backup.services.seed``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kustos.accounts.access import Perm
from kustos.backup.services import seed
from kustos.web.views.backup import _snapshot, _source


@login_required
@require_POST
def backup_seed(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_RESTORE)
    snap = _snapshot(source, request.POST.get("snapshot", ""))
    extra = [f.strip() for f in request.POST.get("mask_fields", "").replace(",", " ").split() if f.strip()]
    try:
        job = seed.request(snap, actor=request.user, to_source=request.POST.get("to_source", ""),
                           object=request.POST.get("object", ""), where=request.POST.get("where", ""),
                           mask_personal=request.POST.get("mask_personal") == "on", mask_fields=extra or None,
                           with_children=request.POST.get("with_children") == "on")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"/customers/{customer.id}/sources/{source.id}/backup/browse/?"
                        f"{urlencode({'snapshot': snap.id})}#seed")
    messages.success(request, _("The seeding was started (job %(id)s).") % {"id": job.id})
    return redirect(f"/jobs/{job.id}/")
