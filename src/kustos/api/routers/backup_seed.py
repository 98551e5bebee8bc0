"""/api/v1 backup seeding: copy a filtered, relationship-closed subset of a snapshot's records into
another source of the customer (e.g. a Salesforce sandbox), optionally masking personal fields; runs as
a job whose result is the report ``{"records": {NAME: N}, "masked", "failed", ...}``."""

from __future__ import annotations

from ninja import Router, Schema, Status

from kustos.accounts.access import Perm
from kustos.api import serializers as ser
from kustos.api.routers.backup import _snapshot, _source
from kustos.api.schemas import JobOut
from kustos.backup.services import seed

router = Router(tags=["backup"])


class BackupSeedIn(Schema):
    snapshot: str | None = None  # default: the newest snapshot of the source
    to_source: str = ""  # the source to seed: another source of the customer, of the same kind
    object: str = ""  # the object whose records are chosen (e.g. Account)
    where: str | None = None  # filter: Field = 'x', !=, LIKE 'a%', IN (...), < > on numbers/dates, AND/OR, ( )
    with_children: bool = False  # also the records that look up a chosen one (one level)
    mask_personal: bool = False  # replace names, e-mail, phone, address, birthdate with format-keeping fakes
    mask_fields: list[str] | None = None  # further fields to mask, as Object.Field (needs mask_personal)


@router.post("/sources/{source_id}/backup/seed", response={202: JobOut},
             summary="Seed another source (e.g. a sandbox) with the records of an object matching a filter and all "
                     "their parents, optionally masked (runs as a job; the result is the report)")
def seed_source(request, source_id: str, body: BackupSeedIn):
    snap = _snapshot(_source(request.auth, source_id, Perm.BACKUP_RESTORE), body.snapshot)
    job = seed.request(snap, actor=request.auth, to_source=body.to_source, object=body.object, where=body.where,
                       mask_personal=body.mask_personal, mask_fields=body.mask_fields,
                       with_children=body.with_children)
    job.refresh_from_db()
    return Status(202, ser.job(job))
