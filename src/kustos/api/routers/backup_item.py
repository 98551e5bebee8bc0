"""/api/v1 backup item: one item of a snapshot with its metadata and its versions across snapshots.
Thin over ``kustos.backup.services.item``."""

from __future__ import annotations

from ninja import Router

from kustos.accounts.access import Perm
from kustos.api.routers.backup import _snapshot, _source
from kustos.backup.services import item

router = Router(tags=["backup"])


@router.get("/sources/{source_id}/backup/item", response=dict,
            summary="One item of a snapshot (default: the newest): kind, size, sha256, its metadata as backed up "
                    "(owners, permissions, sharing, ...) and its versions in the plan's snapshots, newest first")
def backup_item(request, source_id: str, account: str = "", path: str = "", snapshot: str | None = None):
    snap = _snapshot(_source(request.auth, source_id, Perm.BACKUP_RESTORE), snapshot)
    return item.detail(snap, account, path)
