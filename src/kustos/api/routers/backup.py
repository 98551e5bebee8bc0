"""/api/v1 backup: plans per source, runs (jobs), snapshots, browse and ZIP download. Partner staff and
customer admins manage and restore; the operator sees plans and snapshot lists only."""

from __future__ import annotations

from django.http import Http404, StreamingHttpResponse
from ninja import Router, Schema, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.api import serializers as ser
from kustos.api.schemas import JobOut
from kustos.archive.models import Source
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import browse, download, plans, retention

router = Router(tags=["backup"])


class BackupEnableIn(Schema):
    scopes: list[str] | None = None  # ["all"] (default) or scope ids
    services: list[str] | None = None  # default: every service the kind offers
    interval_minutes: int | None = None
    paused: bool = False  # keep the plan without scheduled runs
    # Retention (None = unchanged; all 0 = unlimited, the default): keep the N newest snapshots and
    # the newest of each of the N most recent days, weeks, months, years.
    keep_last: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    keep_yearly: int | None = None


class BackupForgetOut(Schema):
    removed: list[str]
    kept: list[str]
    freed_bytes: int


def _source(user, source_id: str, perm: Perm) -> Source:
    source = Source.objects.select_related("customer").filter(
        id=source_id, customer__in=access.customers_for(user)).first()
    if source is None:
        raise Http404("no such source")
    access.require(user, perm)
    return source


def _snapshot(source: Source, snapshot_id: str | None) -> BackupSnapshot:
    plan = plans.for_source(source)
    snap = plan.snapshots.filter(id=snapshot_id).first() if snapshot_id else plan.snapshots.order_by("-time").first()
    if snap is None:
        raise Http404(f"no backup snapshot {snapshot_id!r}" if snapshot_id else "the source has no backup snapshot")
    return snap


@router.get("/customers/{customer_id}/backup", response=list[dict],
            summary="Backup overview: each account's last snapshot, status and protected size")
def overview(request, customer_id: str):
    return browse.overview(access.get_customer(request.auth, customer_id, Perm.BACKUP_VIEW))


@router.get("/sources/{source_id}/backup", response=dict, summary="The source's backup plan")
def get_plan(request, source_id: str):
    source = _source(request.auth, source_id, Perm.BACKUP_VIEW)
    return plans.public(plans.for_source(source))


@router.post("/sources/{source_id}/backup", response=dict,
             summary="Enable backup for a source or change its plan (scopes, services, interval)")
def enable(request, source_id: str, body: BackupEnableIn):
    plan = plans.enable(_source(request.auth, source_id, Perm.BACKUP_MANAGE), scopes=body.scopes,
                        services=body.services, interval_minutes=body.interval_minutes, paused=body.paused,
                        keep={name: getattr(body, name) for name in retention.RULES}, actor=request.auth)
    return plans.public(plan)


@router.post("/sources/{source_id}/backup/run", response={202: JobOut}, summary="Back up now (runs as a job)")
def run(request, source_id: str):
    job = plans.run_now(plans.for_source(_source(request.auth, source_id, Perm.BACKUP_MANAGE)), actor=request.auth)
    job.refresh_from_db()
    return Status(202, ser.job(job))


@router.post("/sources/{source_id}/backup/forget", response=BackupForgetOut,
             summary="Apply the plan's retention now: forget the snapshots it drops and prune (dry_run: only list)")
def forget(request, source_id: str, dry_run: bool = False):
    plan = plans.for_source(_source(request.auth, source_id, Perm.BACKUP_MANAGE))
    return retention.apply(plan, dry_run=dry_run, actor=request.auth)


@router.get("/sources/{source_id}/backup/snapshots", response=list[dict], summary="The source's snapshots, newest first")
def snapshots(request, source_id: str):
    return browse.snapshots(plans.for_source(_source(request.auth, source_id, Perm.BACKUP_VIEW)))


@router.get("/sources/{source_id}/backup/ls", response=list[dict],
            summary="One level of a snapshot (default: the newest): accounts, or the children of account/path")
def ls(request, source_id: str, snapshot: str | None = None, account: str | None = None, path: str = ""):
    snap = _snapshot(_source(request.auth, source_id, Perm.BACKUP_RESTORE), snapshot)
    return browse.ls(snap, account, path)


@router.get("/sources/{source_id}/backup/download",
            summary="A snapshot subtree as a ZIP (files in their tree, mail .eml, events .ics, contacts .vcf)")
def download_zip(request, source_id: str, snapshot: str | None = None, account: str | None = None, path: str = ""):
    snap = _snapshot(_source(request.auth, source_id, Perm.BACKUP_RESTORE), snapshot)
    stream = download.zip_stream(snap, account, path, actor=request.auth)
    resp = StreamingHttpResponse(stream, content_type="application/zip")
    resp["Content-Disposition"] = f'attachment; filename="backup-{snap.id}.zip"'
    return resp
