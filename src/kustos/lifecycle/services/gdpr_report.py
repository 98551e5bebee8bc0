"""The report and the export of a data-subject request (requirement 22; also for erasure and
restriction requests, listing each decision and its reason).

The report (Markdown, and HTML made from it with every text escaped) states what is stored
about the subject, per message: date, sender, subject line, how the subject is named in it,
where it was archived from (source), the purposes of storage, the retention end, legal holds,
and that nothing was disclosed to recipients outside the customer. The export ZIP holds the
report in both forms, the original ``.eml`` file of every message and ``messages.csv`` with
the metadata and each file's SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

from kustos.archive.services import messages as message_service
from kustos.audit import services as audit
from kustos.compliance.services.html import to_html
from kustos.lifecycle.models import GdprRequest
from kustos.lifecycle.services.gdpr_subject import Concern, concerns

PURPOSES = (
    "Archiving of business correspondence as required by § 147 AO and § 257 HGB "
    "(tamper-proof, complete and retrievable for the legal retention period; GoBD); "
    "legal basis Art. 6(1)(c) GDPR.",
    "Establishment, exercise or defence of legal claims where a legal hold applies (Art. 17(3)(e) GDPR).",
)
CSV_HEADER = ["archive_id", "date", "from", "to", "subject", "roles", "sources", "size", "retention_end",
              "decision", "reason", "sha256", "file_name"]
KIND_TITLES = {"access": "Subject access request (Art. 15 GDPR)", "erase": "Erasure request (Art. 17 GDPR)",
               "restrict": "Restriction request (Art. 18 GDPR)"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: Any) -> str:
    """One Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text or "").split()).replace("|", "\\|") or "—"


def _safe_csv(text: Any) -> str:
    value = " ".join(str(text or "").split())
    return "'" + value if value.startswith(_FORMULA) else value


def _items(request: GdprRequest) -> list[tuple[Any, Concern | None]]:
    decisions = list(request.decisions.order_by("id"))
    found = {c.message.id: c for c in concerns(request.customer, request.subject, [d.message_id for d in decisions])}
    return [(d, found.get(d.message_id)) for d in decisions]


def markdown(request: GdprRequest) -> str:
    items = _items(request)
    lines = [f"# {KIND_TITLES.get(request.kind, request.kind)}", "",
             f"Data subject: {_cell(request.subject)}  ", f"Controller (customer): {_cell(request.customer.name)}  ",
             f"Request: {request.id}, {request.created_at:%Y-%m-%d %H:%M} UTC, by {_cell(request.created_by)}  ",
             f"Messages concerning the subject: {request.messages}", ""]
    if request.summary:
        lines += ["Decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(request.summary.items())), ""]
    lines += ["## Purposes of storage", ""] + [f"- {p}" for p in PURPOSES] + [""]
    lines += ["## Recipients of disclosures", "",
              "None. The archived messages were not disclosed to recipients outside the controller; "
              "tax auditors granted access by the controller see only what their grant allows, and every "
              "access is recorded in the audit log.", ""]
    lines += ["## Source of the data", "",
              "The messages were archived from the controller's own mail flow (sources named per message: "
              "import, journaling over SMTP, mailbox connectors).", ""]
    lines += ["## What is stored", "",
              "Per message: the original message as received (bytes unchanged, SHA-256 below), its mailbox "
              "and folder references, envelope data and the search index entries derived from it.", "",
              "| Archive id | Date | From | Subject | The subject as | Source | Retention until | Decision | Reason |",
              "|---|---|---|---|---|---|---|---|---|"]
    for d, c in items:
        m = c.message if c else None
        lines.append("| " + " | ".join(_cell(v) for v in (
            d.message_id, m.date.strftime("%Y-%m-%d") if m and m.date else "", m.from_addr if m else "",
            m.subject if m else "(no longer stored)", ", ".join(c.roles) if c else "", ", ".join(c.sources) if c else "",
            d.retention_end.isoformat() if d.retention_end else "", d.get_decision_display(), d.reason)) + " |")
    lines += ["", "## Retention", "",
              "Each message is kept until the end of its legal retention period (column above); it is then "
              "proposed for deletion and deleted after approval. Messages under a legal hold are kept while "
              "the hold lasts.", ""]
    return "\n".join(lines)


def html(request: GdprRequest) -> str:
    title = KIND_TITLES.get(request.kind, request.kind)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title + "</title></head><body>\n"
            + str(to_html(markdown(request))) + "\n</body></html>\n")


def report(request: GdprRequest, fmt: str, *, actor: Any) -> bytes:
    """The report as Markdown (``md``) or HTML (``html``); audit-logged."""
    if fmt not in ("md", "html"):
        raise ValueError(f"report format must be 'md' or 'html', not {fmt!r}")
    data = (markdown(request) if fmt == "md" else html(request)).encode("utf-8")
    audit.record("gdpr.report", actor=actor, customer=request.customer, target=request.id,
                 detail={"format": fmt, "messages": request.messages})
    return data


def export(request: GdprRequest, path: Path, *, actor: Any) -> dict[str, Any]:
    """Write the ZIP (report.md, report.html, messages.csv, messages/<id>.eml) to ``path``."""
    items = _items(request)
    rows = io.StringIO(newline="")
    writer = csv.writer(rows, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    count = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for d, c in items:
            if c is None:
                continue
            m = c.message
            raw = message_service.raw(m)
            name = f"messages/{m.id}.eml"
            zf.writestr(name, raw)
            count += 1
            writer.writerow([_safe_csv(v) for v in (
                m.id, m.date.isoformat() if m.date else "", m.from_addr, ", ".join(m.to_addrs or []), m.subject,
                ", ".join(c.roles), ", ".join(c.sources), m.size,
                d.retention_end.isoformat() if d.retention_end else "", d.decision, d.reason)]
                + [hashlib.sha256(raw).hexdigest(), name])
        zf.writestr("messages.csv", rows.getvalue().encode("utf-8"))
        zf.writestr("report.md", markdown(request).encode("utf-8"))
        zf.writestr("report.html", html(request).encode("utf-8"))
    audit.record("gdpr.export", actor=actor, customer=request.customer, target=request.id,
                 detail={"messages": count})
    return {"request": request.id, "messages": count, "path": str(path)}
