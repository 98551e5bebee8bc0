"""Mailbox cleanup: delete (or move to the trash) archived mail at the source's server.

``run(source, older_than_days=None, folders=None, dry_run=False, actor=...)`` →
``{"deleted", "kept", "freed_bytes", "skipped": [{"id", "reason"}]}``; the source's stored rule where
the arguments are None. Modules: ``rule`` (the settings), ``candidates`` (old enough, in batches),
``checks`` (archived, sealed, indexed, not quarantined), ``engine`` (the run), ``audit_log``, ``totals``
(the space freed per customer), ``intents`` (each batch's intent audited before the server deletes, and
the reconciliation of a batch whose process died before recording it: ``recovered`` in the result).
"""

from kustos.archive.services.mailbox_cleanup.engine import run
from kustos.archive.services.mailbox_cleanup.rule import Rule, effective, stored
from kustos.archive.services.mailbox_cleanup.totals import freed_bytes, recent_runs

__all__ = ["Rule", "effective", "freed_bytes", "recent_runs", "run", "stored"]
