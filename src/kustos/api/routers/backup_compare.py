"""/api/v1 backup compare: the records of two snapshots of a source, or of a snapshot and the live
source, per object and field (JSON, or CSV). Thin over ``kustos.backup.services.compare``."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router

from kustos.accounts.access import Perm
from kustos.api.routers.backup import _snapshot, _source
from kustos.backup.services import compare

router = Router(tags=["backup"])


def _result(request, source_id: str, snapshot: str | None, other: str, object: str | None) -> dict:
    source = _source(request.auth, source_id, Perm.BACKUP_RESTORE)
    first = _snapshot(source, snapshot)
    second = compare.LIVE if other == compare.LIVE else _snapshot(source, other)
    return compare.compare(first, second, object or None)


@router.get("/sources/{source_id}/backup/compare", response=dict,
            summary="Records added, removed and changed (old and new values per field) from snapshot (default: the "
                    "newest) to other (a later snapshot, or 'live', the default: the source as it is now); "
                    "object: only this one")
def compare_snapshots(request, source_id: str, snapshot: str | None = None, other: str = compare.LIVE,
                      object: str | None = None):
    return _result(request, source_id, snapshot, other, object)


@router.get("/sources/{source_id}/backup/compare.csv",
            summary="The same comparison as CSV: object, id, change, field, old, new",
            openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}})
def compare_csv(request, source_id: str, snapshot: str | None = None, other: str = compare.LIVE,
                object: str | None = None):
    result = _result(request, source_id, snapshot, other, object)
    response = HttpResponse(compare.as_csv(result), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="compare-{result["from"]}-{result["to"]}.csv"'
    return response
