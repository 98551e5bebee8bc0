"""The completeness (reconcile) report of a customer (COMPLIANCE.md requirement 1).

Three parts, each line with a verdict ``ok``, ``gap`` or ``pending``:

* the ingest sequence: every number from 1 to the highest handed out has a message
  (``reconcile_sequence``); missing numbers are listed as ranges;
* per source and scope: items the source delivered (its cursors) against archived items, and
  with ``live`` the source's own current count where that is cheap (``reconcile_sources``);
* per journaling endpoint: mail accepted over SMTP and still in the spool (pending) or given up
  on (failed, quarantined) against what was archived (``reconcile_journal``).

The report only reads; producing it is audited (``archive.reconcile``). CLI, API and dashboard
call :func:`report`; the caller has checked access (``accounts.access``) before.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kustos.archive.services import sources as source_service
from kustos.archive.services.reconcile_journal import journal_lines
from kustos.archive.services.reconcile_sequence import sequence
from kustos.archive.services.reconcile_sources import source_lines
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.tenants.models import Customer


def _overall(verdicts: list[str]) -> str:
    return "gap" if "gap" in verdicts else "pending" if "pending" in verdicts else "ok"


def report(customer: Customer, *, live: bool = False, actor: Any = None) -> dict[str, Any]:
    """The reconcile report as a plain dict (the shape of `kustos reconcile --json` and the API)."""
    settings = runtime.settings()
    seq = sequence(customer).as_dict()
    srcs = [line.as_dict() for line in source_lines(customer, live=live, connector_for=source_service.connector)]
    journal = [line.as_dict() for line in journal_lines(customer, settings.spool_path, settings.smtp_domain)]
    verdicts = [seq["verdict"], *(s["verdict"] for s in srcs), *(j["verdict"] for j in journal)]
    totals = {
        "messages": seq["present"],
        "missing_sequence_numbers": seq["missing"],
        "not_archived_at_sources": sum(sc["not_archived"] or 0 for s in srcs for sc in s["scopes"]),
        "spool_pending": sum(j["pending"] for j in journal),
        "spool_failed": sum(j["failed"] for j in journal),
        "quarantined": sum(j["quarantined"] for j in journal),
        "gaps": verdicts.count("gap"),
        "pending": verdicts.count("pending"),
    }
    result = {"customer": customer.id, "customer_name": customer.name, "generated_at": timezone.now().isoformat(),
              "live": live, "sequence": seq, "sources": srcs, "journal": journal, "totals": totals,
              "verdict": _overall(verdicts)}
    audit.record("archive.reconcile", actor=actor, customer=customer, target=customer.id,
                 detail={"live": live, "verdict": result["verdict"], "gaps": totals["gaps"]})
    return result
