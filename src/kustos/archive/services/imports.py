"""File imports (EML/EMLX, MBOX, Maildir, PST/OST, MSG) into a customer's archive.

``import_paths`` does the work (the dashboard's upload job calls it through the job handler);
``run_as_job`` is the same import run in the calling process (`kustos import`) but recorded as
a Job, so it shows in `kustos jobs list` and on the dashboard's jobs page while it runs and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import quarantine
from kustos.archive.services.ingest import IMPORT_BATCH_SIZE, Ingestor
from kustos.audit import services as audit
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.sources.files import ImportItem, Quarantined, Skipped, count_estimate, read_path
from kustos.tenants.models import Customer

JOB_KIND = "archive.import"


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    excluded: int = 0  # by ingest rules (requirement 24)
    excluded_by: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates, "quarantined": self.quarantined,
                "skipped": self.skipped, "errors": self.errors, "excluded": self.excluded,
                "excluded_by_rule": self.excluded_by}


def missing(paths: list[Path]) -> list[Path]:
    """The paths that do not exist (checked before anything is imported)."""
    return [p for p in paths if not p.exists()]


def folder_of(root: Path, source_path: str) -> str:
    """The folder a quarantined entry was found in: its directory below an imported directory,
    or the folder inside a container (``file.pst#Inbox/Sub/123`` → ``Inbox/Sub``)."""
    file_part, sep, inner = source_path.partition("#")
    if sep:
        return inner.rpartition("/")[0]
    parent = Path(file_part).parent
    if root.is_dir() and parent != root and parent.is_relative_to(root):
        return str(parent.relative_to(root))
    return ""


def estimate(paths: list[Path]) -> int | None:
    total = 0
    for path in paths:
        n = count_estimate(path)
        if n is None:
            return None
        total += n
    return total


def import_paths(customer: Customer, mailbox: str, paths: list[Path], *, actor: Any = None, workers: int = 2,
                 progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import every message under ``paths``; bad input is quarantined with its reason, never dropped."""
    result = ImportResult()
    ingestor = Ingestor(customer, workers=workers, batch_size=IMPORT_BATCH_SIZE)
    with ingestor.session():
        def items() -> Iterator[Incoming]:
            for path in paths:
                if not path.exists():
                    result.errors.append({"path": str(path), "reason": "no such file or directory"})
                    continue
                for entry in read_path(path):
                    if isinstance(entry, ImportItem):
                        yield Incoming(raw=entry.raw, mailbox=mailbox, folders=entry.folders, source="import",
                                       source_ref=entry.source_path, original=entry.original,
                                       original_kind=entry.original_kind, kind=entry.kind)
                    elif isinstance(entry, Quarantined):
                        quarantine.keep(ingestor.ctx.vault_store, customer, source="import",
                                        source_ref=entry.source_path, reason=entry.reason, data=entry.data,
                                        mailbox=mailbox, folder=folder_of(path, entry.source_path))
                        result.quarantined += 1
                        result.errors.append({"path": entry.source_path, "reason": entry.reason})
                        if progress:
                            progress(1)
                    elif isinstance(entry, Skipped):
                        result.skipped += 1
                        result.errors.append({"path": entry.source_path, "reason": f"skipped: {entry.reason}"})

        batch = ingestor.ingest(items(), progress=progress)
    result.imported, result.duplicates = batch.imported, batch.duplicates
    result.excluded, result.excluded_by = batch.excluded, dict(batch.excluded_by)
    audit.record("archive.import", actor=actor, customer=customer,
                 detail={"mailbox": mailbox, "imported": result.imported, "duplicates": result.duplicates,
                         "quarantined": result.quarantined, "paths": len(paths), "excluded": result.excluded,
                         "excluded_by_rule": result.excluded_by})
    return result


def import_reporting(customer: Customer, mailbox: str, paths: list[Path], report: Callable[..., None], *,
                     actor: Any, workers: int = 2, on_items: Callable[[int], None] | None = None) -> ImportResult:
    """``import_paths`` reporting ``(done, total, text)`` to a job's progress as items are read
    (total estimated up front); ``on_items`` also gets each increment (a CLI progress bar)."""
    total = estimate(paths)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        report(done, total, f"{done} items")
        if on_items:
            on_items(n)

    return import_paths(customer, mailbox, paths, actor=actor, workers=workers, progress=advance)


def run_as_job(customer: Customer, mailbox: str, paths: list[Path], *, actor: Any, workers: int = 2,
               progress: Callable[[int], None] | None = None) -> tuple[Job, ImportResult]:
    """Import in this process, recorded as a running Job (progress, counts, error, final state)."""
    absent = missing(paths)
    if absent:
        raise FileNotFoundError(f"no such file or directory: {', '.join(str(p) for p in absent)}")
    job = jobs.start(JOB_KIND, customer=customer, created_by=getattr(actor, "email", str(actor)),
                     params={"paths": [str(p.resolve()) for p in paths], "mailbox": mailbox, "origin": "cli"})
    try:
        result = import_reporting(customer, mailbox, paths, jobs.Progress(job), actor=actor, workers=workers,
                                  on_items=progress)
    except BaseException as exc:  # interrupted (Ctrl-C) or failed: the job must not stay "running"
        jobs.mark_failed(job, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, None)
        raise
    jobs.mark_succeeded(job, result.as_dict())
    job.refresh_from_db()
    return job, result
