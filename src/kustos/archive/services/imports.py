"""File imports (EML/EMLX, MBOX, Maildir, PST/OST, MSG) into a customer's archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import IMPORT_BATCH_SIZE, Ingestor
from kustos.audit import services as audit
from kustos.sources.files import ImportItem, Quarantined, Skipped, count_estimate, read_path
from kustos.tenants.models import Customer


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates, "quarantined": self.quarantined,
                "skipped": self.skipped, "errors": self.errors}


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
                        ingestor.quarantine("import", entry.source_path, entry.reason, entry.data)
                        result.quarantined += 1
                        result.errors.append({"path": entry.source_path, "reason": entry.reason})
                        if progress:
                            progress(1)
                    elif isinstance(entry, Skipped):
                        result.skipped += 1
                        result.errors.append({"path": entry.source_path, "reason": f"skipped: {entry.reason}"})

        batch = ingestor.ingest(items(), progress=progress)
    result.imported, result.duplicates = batch.imported, batch.duplicates
    audit.record("archive.import", actor=actor, customer=customer,
                 detail={"mailbox": mailbox, "imported": result.imported, "duplicates": result.duplicates,
                         "quarantined": result.quarantined, "paths": len(paths)})
    return result
