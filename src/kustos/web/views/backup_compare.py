"""Compare two snapshots of a source, or a snapshot and the live source: records added, removed and
changed per object and field, as a table or a CSV download. Thin over ``kustos.backup.services.compare``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kustos.accounts.access import Perm
from kustos.backup.services import browse, compare, plans
from kustos.web.views.backup import _snapshot, _source


@login_required
@require_GET
def backup_compare(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_RESTORE)
    snapshots = browse.snapshots(plans.for_source(source))
    first_id = request.GET.get("snapshot", "")
    other_id = request.GET.get("other", "") or compare.LIVE
    obj = request.GET.get("object", "").strip()
    result, error = None, ""
    if first_id:
        first = _snapshot(source, first_id)
        second = compare.LIVE if other_id == compare.LIVE else _snapshot(source, other_id)
        try:
            result = compare.compare(first, second, obj or None)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        if result is not None and request.GET.get("format") == "csv":
            response = HttpResponse(compare.as_csv(result), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="compare-{result["from"]}-{result["to"]}.csv"'
            return response
    rows = list(compare.csv_rows(result)) if result is not None else []
    # "No differences" would mislead where the snapshots hold files only: say that records are compared.
    no_records = result is not None and not result["objects"] and not compare.snapshot_records(first)
    return render(request, "kustos/backup/compare.html", {
        "customer": customer, "source": source, "snapshots": snapshots, "first": first_id, "other": other_id,
        "object": obj, "result": result, "rows": rows, "error": error, "no_records": no_records,
        "summary": [(name, len(f["added"]), len(f["removed"]), len(f["changed"]))
                    for name, f in (result or {}).get("objects", {}).items()]})
