"""Bulk activation of backup accounts from a CSV file.

The file has a header row. Columns: ``account`` (required: a user principal name, e-mail address,
site URL, team or display name, or the scope id) and ``services`` (optional: a subset of the plan's
services separated by ``;``, ``|`` or spaces, e.g. ``mail;onedrive``; a comma-separated list must be
quoted; empty = every service of the plan). The delimiter is taken from the header row: comma,
semicolon (what Excel writes in German) or tab. UTF-8 (with or without BOM); Windows-1252 is accepted.

Each line is matched against the scopes the source offers now (one look-up at the connection) and
reported: ``activated`` (added to the plan), ``already_active``, ``already_covered`` (the plan backs up
"all, including new ones"), ``unknown_account``, ``bad_services`` or ``malformed``. Rule: when any
line has an error nothing changes, unless ``partial`` is given; then the good lines are applied and
the errors reported. A plan covering "all" stays so unless ``explicit`` is given: then it becomes the
list of the file's accounts (everyone else is no longer backed up; their data is kept). Accounts that
are activated get their ``BackupAccount`` row at once: its ``first_seen_at`` is the activation date
(billing); the first backup that covers them fills it in.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kustos.audit import services as audit
from kustos.backup.models import BackupAccount, BackupPlan
from kustos.backup.services import plans, runs
from kustos.backup.sink import account_of
from kustos.sources.base import Scope

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 20_000
COLUMNS = ("account", "services")
STATUSES = ("activated", "would_activate", "already_active", "already_covered", "unknown_account",
            "bad_services", "malformed")
ERRORS = ("unknown_account", "bad_services", "malformed")
SERVICE_SPLIT = re.compile(r"[;|,\s]+")
# Scope metadata that names an account besides its id and name (principal name, mail, site URL, title).
MATCH_META = ("account", "userPrincipalName", "mail", "email", "webUrl", "url", "displayName")


@dataclass
class Line:
    line: int
    account: str
    services: list[str] = field(default_factory=list)
    status: str = ""
    detail: str = ""
    scopes: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ValidationError("the CSV file is empty")
    if len(data) > MAX_BYTES:
        raise ValidationError(f"the CSV file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if b"\x00" in data:
        raise ValidationError("the CSV file is not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise ValidationError("the CSV file is neither UTF-8 nor Windows-1252 text") from None


def _delimiter(header: str) -> str:
    for delim in (",", ";", "\t"):
        if delim in header:
            return delim
    return ","


def parse(data: bytes) -> list[Line]:
    """The file's data lines (``malformed`` ones already marked); a file-level problem raises."""
    text = _decode(data)
    first = text.splitlines()[0] if text.splitlines() else ""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ValidationError(f"the CSV file has no readable header row ({exc})") from None
    if "account" not in header:
        raise ValidationError("the CSV header has no 'account' column (columns: account, services)")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ValidationError(f"unknown CSV column {unknown[0]!r} (columns: account, services)")
    if len(set(header)) != len(header):
        raise ValidationError("a CSV column is named twice in the header")
    where = {name: header.index(name) for name in header}
    lines: list[Line] = []
    try:
        for row in reader:
            if len(lines) >= MAX_LINES:
                raise ValidationError(f"the CSV file has more than {MAX_LINES} lines")
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            account = row[where["account"]].strip() if len(row) > where["account"] else ""
            raw = row[where["services"]] if "services" in where and len(row) > where["services"] else ""
            line = Line(number, account, [s.lower() for s in SERVICE_SPLIT.split(raw) if s])
            if len(row) > len(header):
                line.status, line.detail = "malformed", f"{len(row)} fields where the header has {len(header)}"
            elif not account:
                line.status, line.detail = "malformed", "no account"
            lines.append(line)
    except csv.Error as exc:
        raise ValidationError(f"line {reader.line_num}: malformed CSV ({exc})") from None
    if not lines:
        raise ValidationError("the CSV file has a header but no lines")
    return lines


def _keys(scope: Scope) -> list[tuple[int, str]]:
    """The names a scope answers to, strongest first: its ids (0), its name (1), other metadata (2)."""
    tiers = [(0, {scope.id, account_of(scope)}), (1, {scope.name}),
             (2, {str(scope.meta[k]) for k in MATCH_META if scope.meta.get(k)})]
    return [(tier, _norm(k)) for tier, keys in tiers for k in keys if k]


def _norm(value: str) -> str:
    return value.strip().rstrip("/").casefold()


def _owner(scope: Scope) -> str:
    """The account a scope belongs to (one user has a mail, a OneDrive, a calendar and a Teams chats
    scope; the chats scope names its user in ``meta["user"]``)."""
    return str(scope.meta.get("user") or scope.meta.get("account") or scope.id)


def covered(plan: BackupPlan, scope: Scope, scopes: list[str] | None = None) -> bool:
    """Whether the plan (or the scope list given instead of the plan's) backs the scope up."""
    if scopes is None:
        if plan.all_scopes:
            return True
        scopes = plan.scopes
    return scope.id in scopes or scope.meta.get("account") in scopes


def _offered(plan: BackupPlan) -> list[Scope]:
    conn = runs.connector(plan)
    try:
        return list(conn.scopes())
    finally:
        close = getattr(conn, "close", None)
        if close is not None:
            close()


def judge(plan: BackupPlan, lines: list[Line], offered: list[Scope], explicit: bool) -> list[Scope]:
    """Sets each line's status; returns the scopes to add (in file order)."""
    # A name -> the accounts owning scopes of that name, per tier: a team's name finds the team, not its
    # group site of the same display name (the site answers to its URL).
    index: dict[str, dict[int, set[str]]] = {}
    owned: dict[str, list[Scope]] = {}  # account -> its scopes (one per service on a per-service connection)
    for scope in offered:
        owned.setdefault(_owner(scope), []).append(scope)
        for tier, key in _keys(scope):
            index.setdefault(key, {}).setdefault(tier, set()).add(_owner(scope))
    kind_services = plans.offered_services(plans.kind_for(plan.source))
    plan_services = list(plan.services or kind_services)
    as_list = explicit and plan.all_scopes
    current: list[str] = [] if as_list else list(plan.scopes)
    adding: list[Scope] = []
    for line in lines:
        if line.status:
            continue
        tiers = index.get(_norm(line.account), {})
        owners = sorted(tiers[min(tiers)]) if tiers else []
        matched = [s for owner in owners for s in owned[owner]]
        if not matched:
            line.status, line.detail = "unknown_account", f"no user, site or team {line.account!r} in this source"
            continue
        if len(owners) > 1:
            line.status = "unknown_account"
            line.detail = f"{line.account!r} names {len(owners)} accounts ({', '.join(owners[:3])}); give the scope id"
            continue
        bad = [s for s in line.services if s not in kind_services]
        if bad:
            line.status = "bad_services"
            line.detail = f"unknown service {bad[0]!r}; this source offers: {', '.join(kind_services)}"
            continue
        missing = [s for s in line.services if s not in plan_services]
        if missing:
            line.status = "bad_services"
            line.detail = f"service {missing[0]!r} is not backed up by this plan ({', '.join(plan_services)})"
            continue
        chosen = matched
        split = any(s.meta.get("service") for s in matched)
        if line.services and split:
            chosen = [s for s in matched if s.meta.get("service") in line.services]
            absent = [s for s in line.services if s not in {m.meta.get("service") for m in matched}]
            if absent:
                line.status, line.detail = "bad_services", f"{line.account!r} has no {absent[0]}"
                continue
        elif line.services:
            line.detail = f"this source backs up the plan's services for every account: {', '.join(plan_services)}"
        chosen = list({s.id: s for s in chosen}.values())
        if plan.all_scopes and not explicit:
            line.status = "already_covered"
            line.detail = line.detail or "the plan backs up all users, sites and teams, including new ones"
            continue
        new = [s for s in chosen if not covered(plan, s, current)]
        line.scopes = [s.id for s in new] or [s.id for s in chosen]
        if not new:
            line.status = "already_active"
            continue
        line.status = "activated"
        current += [s.id for s in new]
        adding += new
    return adding


def activate(plan: BackupPlan, data: bytes, *, partial: bool = False, explicit: bool = False,
             actor: Any = None) -> dict[str, Any]:
    """Judge every line of the CSV ``data`` and apply the activations (see the module docstring)."""
    lines = parse(data)
    adding = judge(plan, lines, _offered(plan), explicit)
    errors = sum(1 for line in lines if line.status in ERRORS)
    applied = not errors or partial  # the valid lines take effect
    changed = applied and bool(adding)
    converted = False
    if changed:
        now = timezone.now()
        with transaction.atomic():
            fresh = BackupPlan.objects.select_for_update().get(id=plan.id)
            converted = explicit and fresh.all_scopes
            base = [] if converted else list(fresh.scopes)
            fresh.scopes = list(dict.fromkeys([*base, *(s.id for s in adding)]))
            fresh.all_scopes = False
            fresh.save(update_fields=["scopes", "all_scopes"])
            for scope in adding:
                BackupAccount.objects.get_or_create(plan=fresh, scope_id=account_of(scope), defaults={
                    "name": scope.name or scope.id, "kind": scope.kind, "first_seen_at": now})
        plan.scopes, plan.all_scopes = fresh.scopes, fresh.all_scopes
    elif not applied:
        for line in lines:
            if line.status == "activated":
                line.status = "would_activate"
    counts = Counter(line.status for line in lines)
    result = {"plan": plan.id, "source": plan.source_id, "applied": applied, "changed": changed, "partial": partial,
              "explicit": converted, "errors": errors, "counts": {s: counts.get(s, 0) for s in STATUSES},
              "scopes": plans.ALL if plan.all_scopes else plan.scopes, "lines": [asdict(line) for line in lines]}
    audit.record("backup.activate", actor=actor, customer=plan.customer_id, target=plan.id,
                 detail={"source": plan.source_id, "changed": changed, "partial": partial, "explicit": converted,
                         "lines": len(lines), "errors": errors, "activated": [s.id for s in adding] if changed else []})
    return result
