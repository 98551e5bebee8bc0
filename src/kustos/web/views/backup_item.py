"""One item of a snapshot: its metadata as backed up and its versions across snapshots, with download
and restore of exactly this item. Thin over ``kustos.backup.services.item``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kustos.accounts.access import Perm
from kustos.backup.services import item, restore
from kustos.web.views.backup import _snapshot, _source


@login_required
@require_GET
def backup_item(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_RESTORE)
    snap = _snapshot(source, request.GET.get("snapshot", ""))
    found = item.detail(snap, request.GET.get("account", ""), request.GET.get("path", ""))
    fields = [{"key": key, "text": item.display(value), "block": isinstance(value, (dict, list))}
              for key, value in found["meta"].items()]
    folder = found["path"].rpartition("/")[0]
    return render(request, "kustos/backup/item.html", {
        "customer": customer, "source": source, "snapshot": snap, "item": found, "fields": fields,
        "folder": folder, "targets": restore.targets(source)})
