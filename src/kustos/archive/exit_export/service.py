"""Customer exit export: the one service behind ``kustos customer export``, the API route, the
dashboard action and the ``customer.exit_export`` job.

Who may: partner admins of the customer's partner and operators (``Perm.CUSTOMER_EXIT_EXPORT``,
decided in ``accounts.access``). The run is resumable: the same directory again skips every file
already written with the right SHA-256 (a crash leaves only ``.part`` files, which are removed),
and ``MANIFEST.sha256`` is written last. Each finished run is audited as ``customer.exit_export``.

From the dashboard and the API the export is a job writing to the server's directory
``$KUSTOS_HOME/exit-exports/<customer>/<job id>/`` (``area``); once finished it is downloaded as
one ZIP stream (``zipstream``). It stays there until the customer is deleted or an operator
removes it: unlike the short-lived download files under ``exports/``, an archive handover can take
days to collect."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.exit_export import area, auditlog, readme, zipstream
from kustos.archive.exit_export.evidence import EvidencePass
from kustos.archive.exit_export.files import MANIFEST, ExportBusy, ExportDir
from kustos.archive.exit_export.mail import INDEX, MailPass
from kustos.archive.exit_export.places import Places
from kustos.archive.exit_export.verify_script import VERIFY_PY
from kustos.archive.models import Message
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.tenants.models import Customer

ACTION = "customer.exit_export"
DOWNLOAD_ACTION = "customer.exit_export_download"
START_ACTION = "customer.exit_export_start"
JOB_KIND = "customer.exit_export"
MARKER = "kustos-export.json"
MAX_PROBLEMS = 200


class ExitExportError(ValueError):
    """The export cannot be made or handed out (one line naming the problem)."""


def check_target(customer: Customer, out: Path) -> None:
    """``out`` must be new, empty, or an earlier (unfinished or finished) export of this customer."""
    if out.exists() and not out.is_dir():
        raise ExitExportError(f"{out} is not a directory")
    if not out.exists():
        if not out.parent.is_dir():
            raise ExitExportError(f"no such directory: {out.parent}")
        return
    marker = out / MARKER
    if marker.is_file():
        try:
            owner = json.loads(marker.read_text(encoding="utf-8")).get("customer")
        except (OSError, ValueError) as exc:
            raise ExitExportError(f"{marker} is unreadable: {exc}") from exc
        if owner != customer.id:
            raise ExitExportError(f"{out} holds the export of another customer ({owner})")
        return
    if any(out.iterdir()):
        raise ExitExportError(f"{out} is not empty and holds no export of this customer; name a new directory")


def _ca_pem() -> bytes | None:
    ca_file = runtime.settings().tsa_ca_file
    if not ca_file:
        return None
    try:
        return Path(ca_file).read_bytes()
    except OSError as exc:
        raise ExitExportError(f"KUSTOS_TSA_CA_FILE cannot be read: {exc}") from exc


def run(customer: Customer, out: Path, *, actor: Any,
        progress: Callable[[int, int | None, str], None] | None = None) -> dict[str, Any]:
    """Write (or complete) the exit export of ``customer`` in ``out``; audited.
    ``{"messages", "files", "bytes", "path", "batches", "audit_events", "written", "kept", "damaged", "ok", "problems"}``."""
    check_target(customer, out)
    ca_pem = _ca_pem()
    store = runtime.store_for(customer.id)
    total = Message.objects.filter(customer=customer).count()
    steps = total + max(1, total // 20)  # the evidence and the audit log: the last 5 %
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        if progress:
            progress(done[0], steps, f"{done[0]} of {total} messages written")

    try:
        target = ExportDir(out)
    except ExportBusy as exc:
        raise ExitExportError(str(exc)) from exc
    try:
        target.put(MARKER, json.dumps({"customer": customer.id, "format": 1}).encode())
        places = Places(customer)
        mail = MailPass(customer, target, places, store.get, advance)
        target.put(INDEX, mail.rows())
        if progress:
            progress(total, steps, "evidence and audit log")
        evidence = EvidencePass(customer, store, target, places, ca_pem)
        evidence.run()
        events = auditlog.write(customer, target)
        target.put("verify.py", VERIFY_PY.encode())
        problems = mail.problems + evidence.problems
        if evidence.proven < mail.messages:
            problems.append(f"{mail.messages - evidence.proven} messages have no ledger entry (no proof)")
        created = datetime.now(UTC).isoformat(timespec="seconds")
        facts = {"name": customer.name, "customer": customer.id, "created": created, "messages": mail.messages,
                 "files": mail.files, "batches": evidence.batches, "events": events}
        target.put("README.txt", readme.text(facts, problems[:MAX_PROBLEMS]).encode())
        target.finish()
    except BaseException:
        target.abort()
        raise
    result = {"messages": mail.messages, "files": mail.files, "bytes": target.bytes, "path": str(out),
              "batches": evidence.batches, "audit_events": events, "written": target.written, "kept": target.kept,
              "damaged": mail.damaged, "ok": not problems, "problems": problems[:MAX_PROBLEMS]}
    audit.record(ACTION, actor=actor, customer=customer, target=customer.id, outcome="ok" if not problems else "failed",
                 detail={k: result[k] for k in ("messages", "files", "bytes", "batches", "audit_events", "written",
                                                "kept", "damaged", "ok")} | {"problems": problems[:20]})
    return result


# --- the server-side job (dashboard, API) ------------------------------------------------------

def start_as(user: Any, customer_id: str, ip: str = "") -> Job:
    """Start the export job for a signed-in user (404 outside the scope, 403 without the permission)."""
    customer = access.get_customer(user, customer_id, Perm.CUSTOMER_EXIT_EXPORT)
    area.customer_dir(customer.id, create=True)
    # no path: the job writes to area.job_dir(customer, job id)
    job = jobs.create(JOB_KIND, customer=customer, created_by=getattr(user, "email", str(user)),
                      params={"origin": "server"}, max_attempts=3)
    audit.record(START_ACTION, actor=user, customer=customer, target=job.id, ip=ip)
    return job


def run_job(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    customer = Customer.objects.filter(id=job.customer_id).first()
    if customer is None:
        raise jobs.PermanentJobError("the customer no longer exists")
    try:
        out = Path(job.params["path"]) if job.params.get("path") else area.job_dir(customer.id, job.id)
        return run(customer, out, actor=job.created_by or "system", progress=progress)
    except ExitExportError as exc:
        raise jobs.PermanentJobError(str(exc)) from exc


def exports_of(user: Any, customer_id: str) -> tuple[Customer, list[Job]]:
    customer = access.get_customer(user, customer_id, Perm.CUSTOMER_EXIT_EXPORT)
    return customer, list(access.jobs_for(user).filter(kind=JOB_KIND, customer_id=customer.id)
                          .order_by("-created_at")[:20])


def download_as(user: Any, customer_id: str, job_id: str, ip: str = "") -> tuple[str, Iterator[bytes]]:
    """(file name, ZIP stream) of a finished export job; audited."""
    customer = access.get_customer(user, customer_id, Perm.CUSTOMER_EXIT_EXPORT)
    job = access.jobs_for(user).filter(id=job_id, kind=JOB_KIND, customer_id=customer.id).first()
    if job is None:
        raise ExitExportError(f"no exit export {job_id} of this customer")
    if job.params.get("path"):  # written by `kustos customer export` to a directory of its own
        raise ExitExportError(f"the exit export {job_id} was written by the command line, not for download")
    root = area.job_dir(customer.id, job.id)
    if job.state != Job.State.SUCCEEDED or not (root / MANIFEST).is_file():
        raise ExitExportError(f"the exit export {job_id} is not finished")
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    audit.record(DOWNLOAD_ACTION, actor=user, customer=customer, target=job.id, detail={"bytes": size}, ip=ip)
    return f"kustos-export-{customer.id}-{job.id}.zip", zipstream.stream(root, f"kustos-export-{customer.id}")
