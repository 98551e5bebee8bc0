"""Job kind → handler. A handler takes (job, progress) and returns a JSON-able result dict.

Handlers are thin and live beside the service that owns the work; this table names them, and
a handler's module is imported only when a job of its kind runs (a backup job does not load
the archive's ingest and extractor stack, nor the other way round).
"""

from __future__ import annotations

from kustos.core.lazy import Deferred

HANDLERS: dict[str, Deferred] = {
    "customer.delete": Deferred("kustos.tenants.jobs:customer_delete"),
    "customer.exit_export": Deferred("kustos.archive.exit_export.jobs:exit_export_run"),
    "source.run": Deferred("kustos.archive.jobs:source_run"),
    "archive.import": Deferred("kustos.archive.jobs:archive_import"),
    "archive.restore": Deferred("kustos.archive.restore_jobs:restore_run"),
    "archive.ocr": Deferred("kustos.archive.ocr_jobs:ocr_run"),
    "archive.search_rebuild": Deferred("kustos.archive.search_rebuild_jobs:rebuild_run"),
    "vault.verify": Deferred("kustos.archive.evidence_jobs:verify_run"),
    "backup.run": Deferred("kustos.backup.jobs:run"),
    "backup.restore": Deferred("kustos.backup.jobs:restore_run"),
    "backup.seed": Deferred("kustos.backup.seed_jobs:seed_run"),
    "backup.retention": Deferred("kustos.backup.jobs:retention_run"),
    "backup.index": Deferred("kustos.backup.search_jobs:index_run"),
}
