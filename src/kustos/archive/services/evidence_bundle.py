"""Requirement 21: the court bundle — one ZIP per query that a court's expert can check offline.

The selection is the Z3 export's (search within the caller's visibility, re-checked per
message). The tree::

    messages/<archive id>/message.eml        the original bytes as received
    messages/<archive id>/original.<kind>    the original .msg (when the mail came as one)
    messages/<archive id>/proof.json         SHA-256, vault id, ledger leaf, inclusion path, batch
    batches/<batch>/root.bin, token.tsr      Merkle root of the batch and its RFC 3161 token
    batches/<batch>/renewal-<n>.bin|.tsr     the renewal chain (root || H(previous token))
    batches/<batch>/batch.json               time-stamp authority, times, renewals
    tsa/ca.pem, tsa/tsa-certs.pem            TSA trust anchor(s) and the signing certificates
    audit/excerpt.jsonl                      the audit events about these messages, complete
    audit/chain.json                         links (seq, previous digest, digest) from the excerpt
                                             to the chain head, and the chain check at export
    manifest.json, report.txt, report.html   what is inside, how to check it, results at export
    verify.py, verify.sh                     the offline checkers
    SHA256SUMS                               every other file

The bundle holds no key and no other customer's data; the audit chain links carry only
sequence numbers and digests.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from django.db.models import Q

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Message
from kustos.archive.services import evidence_scripts, messages, z3
from kustos.archive.services import search as search_service
from kustos.audit import query as audit_query
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent, AuditHead
from kustos.core import runtime
from kustos.tenants.models import Customer
from kustos.vault.errors import VaultError
from kustos.vault.ledger import evidence as ledger_evidence
from kustos.vault.ledger.renew import Renewals, token_certificate, token_time
from kustos.vault.ledger.tsa import TimestampError, verify_token

ACTION = "export.evidence"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class EvidenceError(ValueError):
    """The bundle cannot be made (nothing selected, a message without ledger evidence, ...)."""


def _batch_dir(name: str) -> str:
    return name.rsplit("/", 1)[1]


def _pem(der_cert: Any) -> bytes:
    return der_cert.public_bytes(serialization.Encoding.PEM)


def _audit_excerpt(customer: Customer, items: list[Message], user: Any) -> list[AuditEvent]:
    """Events about the messages: targeted at one, or an ingest batch whose range holds one."""
    ids = [m.id for m in items]
    seqs = {m.seq for m in items}
    qs = AuditEvent.objects.filter(customer_id=customer.id)
    if user is not None and getattr(user, "is_authenticated", False):
        if not access.has_perm(user, Perm.AUDIT_VIEW):
            return []  # roles that may not read the audit log (end users) get no excerpt
        qs = qs & audit_query.scoped(user)
    events = list(qs.filter(Q(target__in=ids) | Q(action="ingest.batch")).order_by("seq"))
    out = []
    for ev in events:
        if ev.action == "ingest.batch":
            lo, hi = ev.detail.get("seq_from"), ev.detail.get("seq_to")
            if lo is None or hi is None or not any(lo <= s <= hi for s in seqs):
                continue
        out.append(ev)
    return out


def _chain(excerpt: list[AuditEvent]) -> tuple[dict[str, Any], list[list[Any]]]:
    head = AuditHead.objects.filter(id=1).first()
    head_doc = {"seq": head.seq if head else 0, "digest": head.digest if head else "0" * 64}
    if not excerpt:
        return head_doc, []
    links = [[s, p, d] for s, p, d in AuditEvent.objects.filter(seq__gte=excerpt[0].seq, seq__lte=head_doc["seq"])
             .order_by("seq").values_list("seq", "prev_digest", "digest").iterator(chunk_size=5000)]
    return head_doc, links


class _Zip:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.digests: dict[str, str] = {}

    def add(self, name: str, data: bytes, mode: int = 0o644, listed: bool = True) -> None:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = mode << 16
        info.create_system = 3
        self.zf.writestr(info, data)
        if listed:
            self.digests[name] = hashlib.sha256(data).hexdigest()


def _part(name: str, data: bytes, ev: ledger_evidence.Evidence) -> dict[str, Any]:
    doc = ev.as_json()
    return {"file": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "vault_id": ev.object_id,
            "ledger_seq": ev.seq, "leaf_data": doc["leaf_data"], "leaf_hash": doc["leaf_hash"],
            "path": doc["path"], "batch": _batch_dir(ev.batch), "root": doc["root"]}


def _check_part(part: dict[str, Any], recorded_sha: str | None, ev: ledger_evidence.Evidence) -> list[str]:
    problems = []
    if recorded_sha is not None and part["sha256"] != recorded_sha:
        problems.append("bytes differ from the SHA-256 recorded at archiving")
    if part["sha256"] != ev.sha256:
        problems.append("bytes differ from the SHA-256 in the ledger")
    if not ev.check():
        problems.append("inclusion path or token imprint does not match the batch root")
    return problems


def build(sink: _Zip, customer: Customer, items: list[Message], query: str, *, user: Any = None,
          now: datetime | None = None) -> dict[str, Any]:
    """Write the bundle into ``sink``; returns the manifest plus the export-time check results."""
    now = now or datetime.now(UTC)
    store = runtime.store_for(customer.id)
    renewals = Renewals(store)
    wanted = [v for m in items for v in (m.vault_id, m.original_vault_id) if v]
    try:
        proofs = ledger_evidence.collect(store.ledger, wanted, renewals)
    except VaultError as exc:
        raise EvidenceError(f"ledger evidence cannot be read: {exc}") from exc
    settings = runtime.settings()
    cas: dict[str, bytes] = {}
    if settings.tsa_ca_file:
        try:
            cas["configured"] = Path(settings.tsa_ca_file).read_bytes()
        except OSError as exc:
            raise EvidenceError(f"KUSTOS_TSA_CA_FILE cannot be read: {exc}") from exc
    tsa_certs: dict[str, bytes] = {}
    batches: dict[str, ledger_evidence.Evidence] = {}
    manifest_messages = []
    results = []
    for m in items:
        if m.vault_id not in proofs:
            raise EvidenceError(f"message {m.id} has no ledger entry")
        data = messages.raw(m)
        parts = []
        checks = []
        for vid, name, raw, recorded in ((m.vault_id, "message.eml", data, m.sha256),
                                         (m.original_vault_id, f"original.{(m.original_kind or 'bin').lower()}",
                                          None, None)):
            if not vid:
                continue
            ev = proofs.get(vid)
            if ev is None:
                raise EvidenceError(f"message {m.id}: its original has no ledger entry")
            if raw is None:
                raw = store.get(vid)
            part = _part(name, raw, ev)
            sink.add(f"messages/{m.id}/{name}", raw)
            parts.append(part)
            checks += [f"{name}: {p}" for p in _check_part(part, recorded, ev)]
            batches.setdefault(ev.batch, ev)
        proof = {"archive_id": m.id, "customer": customer.id, "sha256": m.sha256, "size": m.size,
                 "message_id": m.message_id, "date": m.date.isoformat() if m.date else None,
                 "archived_at": m.archived_at.isoformat() if m.archived_at else None, "seq": m.seq, "parts": parts,
                 "hashing": "RFC 6962: leaf=SHA256(0x00||leaf_data), node=SHA256(0x01||left||right)"}
        sink.add(f"messages/{m.id}/proof.json", json.dumps(proof, indent=2).encode())
        manifest_messages.append({"archive_id": m.id, "sha256": m.sha256, "parts": parts})
        results.append({"archive_id": m.id, "sha256": m.sha256, "ok": not checks, "problems": checks,
                        "batch": _batch_dir(proofs[m.vault_id].batch),
                        "timestamp": token_time(proofs[m.vault_id].token).isoformat()})
    batch_results = []
    for name, ev in sorted(batches.items()):
        d = _batch_dir(name)
        sink.add(f"batches/{d}/root.bin", ev.root)
        sink.add(f"batches/{d}/token.tsr", ev.token)
        problems = []
        if ev.certificates:
            cas.setdefault("local", ev.certificates[0])
        try:
            verify_token(ev.token, ev.root, ev.certificates[1] if ev.certificates else None)
            renewals.verify(name, {"root": ev.root.hex(), "token": base64.b64encode(ev.token).decode()})
        except (TimestampError, VaultError) as exc:
            problems.append(str(exc))
        for token in [ev.token] + [r.token for r in ev.renewals]:
            cert = token_certificate(token)
            if cert is not None:
                tsa_certs.setdefault(cert.fingerprint(hashes.SHA256()).hex(), _pem(cert))
        meta = {"batch": d, "tsa": ev.tsa_label, "root": ev.root.hex(), "gen_time": token_time(ev.token).isoformat(),
                "renewals": [r.as_json() for r in ev.renewals]}
        for r in ev.renewals:
            sink.add(f"batches/{d}/renewal-{r.index}.bin", r.data)
            sink.add(f"batches/{d}/renewal-{r.index}.tsr", r.token)
        sink.add(f"batches/{d}/batch.json", json.dumps(meta, indent=2).encode())
        batch_results.append({"batch": d, "ok": not problems, "problems": problems, "tsa": ev.tsa_label,
                              "gen_time": meta["gen_time"], "renewals": len(ev.renewals)})
    if not cas:
        raise EvidenceError("the TSA's CA certificate is unknown: set KUSTOS_TSA_CA_FILE to the PEM of the "
                            "configured TSA's CA")
    sink.add("tsa/ca.pem", b"".join(cas.values()))
    if tsa_certs:
        sink.add("tsa/tsa-certs.pem", b"".join(tsa_certs[k] for k in sorted(tsa_certs)))
    excerpt = _audit_excerpt(customer, items, user)
    head, links = _chain(excerpt)
    chain_report = audit.verify_chain()
    sink.add("audit/excerpt.jsonl", b"".join(json.dumps(
        {"event": audit._fields(ev), "prev_digest": ev.prev_digest, "digest": ev.digest},  # noqa: SLF001 - the chain's own canonical fields
        sort_keys=True).encode() + b"\n" for ev in excerpt))
    sink.add("audit/chain.json", json.dumps({
        "head": head, "links": links,
        "digest": "SHA256(previous digest as hex text || canonical JSON of the event: sorted keys, no spaces)",
        "verified_at_export": {"ok": chain_report.ok, "events": chain_report.checked,
                               "broken": chain_report.broken[:20]}}).encode())
    manifest = {"customer": customer.id, "customer_name": customer.name, "query": query, "created": now.isoformat(),
                "messages": manifest_messages, "batches": [_batch_dir(b) for b in sorted(batches)],
                "audit_events": len(excerpt)}
    sink.add("manifest.json", json.dumps(manifest, indent=2).encode())
    outcome = {"messages": results, "batches": batch_results,
               "audit": {"ok": chain_report.ok, "events": chain_report.checked, "excerpt": len(excerpt),
                         "head": head}}
    outcome["ok"] = (all(r["ok"] for r in results) and all(b["ok"] for b in batch_results) and chain_report.ok)
    text = report_text(manifest, outcome)
    sink.add("report.txt", text.encode())
    sink.add("report.html", report_html(manifest, outcome).encode())
    sink.add("verify.py", evidence_scripts.VERIFY_PY.encode(), mode=0o755)
    sink.add("verify.sh", evidence_scripts.VERIFY_SH.encode(), mode=0o755)
    sums = "".join(f"{d}  {n}\n" for n, d in sorted(sink.digests.items())).encode()
    sink.add("SHA256SUMS", sums, listed=False)
    return {"messages": len(items), "batches": len(batches), "audit_events": len(excerpt), "ok": outcome["ok"],
            "checks": outcome}


HOW = [
    ("Files", "SHA256SUMS lists the SHA-256 of every file; `sha256sum -c SHA256SUMS`."),
    ("Original bytes", "messages/<archive id>/message.eml are the bytes as received; their SHA-256 is the hash "
     "recorded at archiving (proof.json 'sha256') and the hash in the ledger leaf ('leaf_data': "
     "sequence|vault object id|SHA-256|time)."),
    ("Inclusion", "leaf = SHA256(0x00 || leaf_data); for each step of 'path' node = SHA256(0x01 || left || "
     "right) with the sibling on the side given; the result must equal batches/<batch>/root.bin (RFC 6962)."),
    ("Time-stamp", "`openssl ts -verify -data batches/<batch>/root.bin -in batches/<batch>/token.tsr "
     "-CAfile tsa/ca.pem -untrusted tsa/tsa-certs.pem` proves the root existed at the token's time, signed by "
     "the time-stamp authority whose CA is in tsa/ca.pem."),
    ("Renewal", "each renewal-N.bin is root || H(previous token) (H as named in batch.json) and renewal-N.tsr "
     "stamps it (openssl ts -verify as above): the chain proves the root continuously, also after the first "
     "TSA certificate or hash algorithm expired (RFC 4998 style)."),
    ("Audit log", "audit/excerpt.jsonl holds the audit events about these messages; each digest = SHA256(previous "
     "digest || canonical JSON of the event). audit/chain.json links them (sequence, previous digest, digest) "
     "to the chain head at export; the whole chain was verified at export (result below)."),
    ("Scripts", "`sh verify.sh` runs sha256sum and openssl, then `python3 verify.py`, which checks everything "
     "above offline (Python 3 standard library and the openssl command) and names every file that fails."),
]


def report_text(manifest: dict[str, Any], outcome: dict[str, Any]) -> str:
    lines = [f"Kustos court bundle — {manifest['customer_name']} ({manifest['customer']})",
             f"Created {manifest['created']}; query: {manifest['query'] or '*'}",
             f"{len(manifest['messages'])} messages, {len(manifest['batches'])} ledger batches, "
             f"{manifest['audit_events']} audit events.", "",
             "WHAT IS INSIDE",
             "  messages/<archive id>/  message.eml (original bytes), original.* (original .msg), proof.json",
             "  batches/<batch>/        root.bin, token.tsr (RFC 3161), renewal-N.bin/.tsr, batch.json",
             "  tsa/                    ca.pem (trust anchor), tsa-certs.pem (signing certificates)",
             "  audit/                  excerpt.jsonl, chain.json",
             "  verify.py, verify.sh    offline checkers; SHA256SUMS; manifest.json; report.html", "",
             "HOW EACH CHECK IS DONE"]
    for title, text in HOW:
        lines.append(f"  {title}: {text}")
    lines += ["", f"RESULTS AT EXPORT: {'ALL CHECKS PASSED' if outcome['ok'] else 'PROBLEMS FOUND'}"]
    for r in outcome["messages"]:
        lines.append(f"  {r['archive_id']}  SHA-256 {r['sha256']}  batch {r['batch']}  time-stamp {r['timestamp']}  "
                     + ("OK" if r["ok"] else "FAILED: " + "; ".join(r["problems"])))
    for b in outcome["batches"]:
        lines.append(f"  batch {b['batch']}  {b['tsa']}  {b['gen_time']}  renewals {b['renewals']}  "
                     + ("OK" if b["ok"] else "FAILED: " + "; ".join(b["problems"])))
    a = outcome["audit"]
    lines.append(f"  audit chain: {'OK' if a['ok'] else 'BROKEN'} ({a['events']} events, head {a['head']['seq']} "
                 f"{a['head']['digest']}); {a['excerpt']} events in the excerpt")
    return "\n".join(lines) + "\n"


def report_html(manifest: dict[str, Any], outcome: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(r['archive_id'])}</td><td><code>{e(r['sha256'])}</code></td><td>{e(r['batch'])}</td>"
        f"<td>{e(r['timestamp'])}</td><td>{'OK' if r['ok'] else 'FAILED: ' + e('; '.join(r['problems']))}</td></tr>"
        for r in outcome["messages"])
    brows = "".join(
        f"<tr><td>{e(b['batch'])}</td><td>{e(b['tsa'])}</td><td>{e(b['gen_time'])}</td><td>{b['renewals']}</td>"
        f"<td>{'OK' if b['ok'] else 'FAILED: ' + e('; '.join(b['problems']))}</td></tr>" for b in outcome["batches"])
    how = "".join(f"<dt>{e(t)}</dt><dd>{e(x)}</dd>" for t, x in HOW)
    a = outcome["audit"]
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kustos court bundle</title></head><body>"
        f"<h1>Kustos court bundle — {e(manifest['customer_name'])} ({e(manifest['customer'])})</h1>"
        f"<p>Created {e(manifest['created'])}; query: <code>{e(manifest['query'] or '*')}</code>; "
        f"{len(manifest['messages'])} messages, {len(manifest['batches'])} ledger batches, "
        f"{manifest['audit_events']} audit events.</p>"
        "<h2>What is inside</h2><ul><li>messages/&lt;archive id&gt;/message.eml — the original bytes; original.* — "
        "the original .msg; proof.json — hashes, ledger leaf and inclusion path</li><li>batches/&lt;batch&gt;/ — "
        "root.bin, token.tsr (RFC 3161), renewal-N.bin/.tsr, batch.json</li><li>tsa/ — ca.pem, tsa-certs.pem</li>"
        "<li>audit/ — excerpt.jsonl, chain.json</li><li>verify.py, verify.sh, SHA256SUMS, manifest.json</li></ul>"
        f"<h2>How each check is done</h2><dl>{how}</dl>"
        f"<h2>Results at export: {'all checks passed' if outcome['ok'] else 'problems found'}</h2>"
        "<table border=\"1\"><tr><th>Archive id</th><th>SHA-256</th><th>Batch</th><th>Time-stamp</th><th>Result</th>"
        f"</tr>{rows}</table><h3>Ledger batches</h3><table border=\"1\"><tr><th>Batch</th><th>TSA</th><th>Time</th>"
        f"<th>Renewals</th><th>Result</th></tr>{brows}</table>"
        f"<p>Audit chain: {'OK' if a['ok'] else 'BROKEN'} ({a['events']} events, head {a['head']['seq']} "
        f"<code>{e(a['head']['digest'])}</code>); {a['excerpt']} events in the excerpt.</p></body></html>\n")


def selection(customer: Customer, query: str, scope: search_service.Scope) -> list[Message]:
    return z3.selection(customer, query, scope)


def export_zip(customer: Customer, query: str, scope: search_service.Scope, path: Path, *, actor: Any,
               user: Any = None) -> dict[str, Any]:
    """Write the court bundle of ``query`` (within ``scope``) to ``path``; audited.
    ``{"messages", "batches", "audit_events", "ok", "sha256", "file"}``; EvidenceError when empty."""
    items = selection(customer, query, scope)
    if not items:
        raise EvidenceError("no message matches the query")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            result = build(_Zip(zf), customer, items, query, user=user)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    audit.record(ACTION, actor=actor, customer=customer, target=customer.id,
                 detail={"query": query[:500], "count": result["messages"], "batches": result["batches"],
                         "audit_events": result["audit_events"], "checks_ok": result["ok"], "sha256": digest,
                         "messages": [m.id for m in items][:1000]})
    return {"messages": result["messages"], "batches": result["batches"], "audit_events": result["audit_events"],
            "ok": result["ok"], "sha256": digest, "file": str(path)}
