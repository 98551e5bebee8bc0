"""What a customer wipe removes besides the vault and the search index.

Files outside the vault that hold the customer's mail or names: SMTP spool items
(waiting, claimed, failed), upload files (partial and complete) and export files.
Database rows: the customer's jobs (their parameters, errors and progress texts name
files and mailboxes), its users' sessions and sign-in records — every other row goes
with the customer by cascade. On SQLite the freed pages are overwritten and the
write-ahead log emptied, so deleted rows do not survive in the database files either.
What remains is the DeletionRecord, the deletion job and the audit trail.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection

from kustos.accounts.models import User
from kustos.archive.exit_export import area as exit_export_area
from kustos.archive.services import export_files, uploads
from kustos.jobs.models import Job
from kustos.sources.smtp.spool import MAGIC
from kustos.tenants.models import Customer

KEPT_JOB_KINDS = ("customer.delete",)


def files(customer: Customer, spool_root: Path) -> dict[str, int]:
    """Delete every file of ``customer`` outside the vault; returns counts per kind."""
    return {
        "spool_items": spool_items(spool_root, customer.id),
        "uploads": uploads.purge_customer(customer),
        "exports": export_files.purge_customer(customer.id),
        "exit_exports": exit_export_area.purge_customer(customer.id),
    }


def spool_items(root: Path, customer_id: str) -> int:
    """Delete the customer's items anywhere in the spool (tmp, new, claimed, failed)."""
    if not root.is_dir():
        return 0
    removed = 0
    for path in _spool_files(root):
        if _spool_customer(path) != customer_id:
            continue
        path.unlink(missing_ok=True)
        Path(f"{path}.reason").unlink(missing_ok=True)
        removed += 1
    return removed


def _spool_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for sub in ("tmp", "new", "failed"):
        directory = root / sub
        if directory.is_dir():
            found += [p for p in directory.iterdir() if p.is_file() and not p.name.endswith(".reason")]
    work = root / "work"
    if work.is_dir():
        found += [p for owner in work.iterdir() if owner.is_dir() for p in owner.iterdir() if p.is_file()]
    return found


def _spool_customer(path: Path) -> str | None:
    """The customer named in a spool item's envelope (reads the header only)."""
    try:
        with path.open("rb") as fh:
            header = fh.readline(64)
            parts = header.split()
            if len(parts) != 2 or parts[0] != MAGIC or not parts[1].isdigit():
                return None
            envelope = json.loads(fh.read(int(parts[1])))
    except (OSError, ValueError):
        return None
    return envelope.get("customer") if isinstance(envelope, dict) else None


def sign_ins(customer: Customer) -> int:
    """End the sessions of the customer's users and drop their sign-in records (the user rows
    themselves go with the customer); returns how many sign-in records were removed."""
    people = dict(User.objects.filter(customer=customer).values_list("pk", "email"))
    if not people:
        return 0
    ids = {str(pk) for pk in people}
    keys = [s.session_key for s in Session.objects.iterator() if s.get_decoded().get(SESSION_KEY) in ids]
    Session.objects.filter(session_key__in=keys).delete()
    return sum(model.objects.filter(username__in=list(people.values())).delete()[0]
               for model in (AccessAttempt, AccessFailureLog, AccessLog))


def jobs(customer_id: str) -> int:
    """Delete the customer's job rows except the deletion job itself; returns the count."""
    deleted, _ = Job.objects.filter(customer_id=customer_id).exclude(kind__in=KEPT_JOB_KINDS).delete()
    return deleted


def secure_delete_on() -> None:
    """SQLite: overwrite the content of deleted rows with zeros (this connection)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def empty_write_ahead_log() -> bool:
    """SQLite: copy the log into the database and truncate it (old page images live there)."""
    if connection.vendor != "sqlite" or connection.settings_dict["NAME"] in ("", ":memory:") \
            or "mode=memory" in str(connection.settings_dict["NAME"]):
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _log, _done = cursor.fetchone()
    wal = Path(f"{connection.settings_dict['NAME']}-wal")
    return not busy and (not wal.exists() or os.path.getsize(wal) == 0)
