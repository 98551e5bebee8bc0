"""/api/v1 backup restore: put items of a snapshot back, as a job whose result is the report
``{"restored", "skipped", "failed": [{"path", "error"}]}`` (partner staff and customer admins)."""

from __future__ import annotations

from typing import Literal

from ninja import Router, Schema, Status

from kustos.accounts.access import Perm
from kustos.api import serializers as ser
from kustos.api.routers.backup import _snapshot, _source
from kustos.api.schemas import JobOut
from kustos.backup.services import restore

router = Router(tags=["backup"])


class BackupRestoreIn(Schema):
    snapshot: str | None = None  # default: the newest snapshot of the source
    account: str | None = None  # default: every account of the snapshot
    paths: list[str] | None = None  # items or folders of the account (default: all of it)
    to_account: str | None = None  # another user (id or principal name) instead of the same one
    to_path: str | None = None  # a folder the restored items go below
    to_source: str | None = None  # another source of the customer, of the same kind (e.g. another org)
    conflict: Literal["skip", "copy", "replace"] = "skip"


@router.post("/sources/{source_id}/backup/restore", response={202: JobOut},
             summary="Restore an item, a folder, an account or a whole snapshot (runs as a job; the result is "
                     "the report)")
def restore_snapshot(request, source_id: str, body: BackupRestoreIn):
    snap = _snapshot(_source(request.auth, source_id, Perm.BACKUP_RESTORE), body.snapshot)
    job = restore.request(snap, actor=request.auth, account=body.account, paths=body.paths,
                          to_account=body.to_account, to_path=body.to_path, conflict=body.conflict,
                          to_source=body.to_source)
    job.refresh_from_db()
    return Status(202, ser.job(job))


class BackupRestorePreviewOut(Schema):
    items: int  # files, messages and other items (folders not counted)
    bytes: int
    accounts: dict[str, dict[str, int]]  # account -> {"items", "bytes"}
    missing: list[str]  # selected paths that are not in the snapshot


@router.post("/sources/{source_id}/backup/restore/preview", response=BackupRestorePreviewOut,
             summary="What a restore with these options would put back (items and bytes per account); "
                     "restores nothing")
def restore_preview(request, source_id: str, body: BackupRestoreIn):
    snap = _snapshot(_source(request.auth, source_id, Perm.BACKUP_RESTORE), body.snapshot)
    return restore.preview(snap, restore.clean(snap, account=body.account, paths=body.paths,
                                               to_account=body.to_account, to_path=body.to_path,
                                               conflict=body.conflict, to_source=body.to_source))
