"""Bulk-adding mailboxes from CSV (``host,port,security,username,password,mailbox``).

A header row is optional (recognised by its column names, in any order; an extra
``kind`` column may say ``imap`` or ``pop3``). Empty ``port`` takes the protocol's
default for the security mode, empty ``security`` means ``tls``, empty ``mailbox``
means the username. All problems are collected and raised together, one per line,
so a partner can fix the file in one go; passwords never appear in the messages.
"""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ("host", "port", "security", "username", "password", "mailbox")
OPTIONAL = ("kind",)
SECURITY = ("none", "starttls", "tls")
DEFAULT_PORTS = {
    ("imap", "tls"): 993, ("imap", "starttls"): 143, ("imap", "none"): 143,
    ("pop3", "tls"): 995, ("pop3", "starttls"): 110, ("pop3", "none"): 110,
}


class MailboxCsvError(ValueError):
    """One or more CSV lines are invalid; ``errors`` holds ``(line, message)`` pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"line {line}: {message}" for line, message in errors))


def _header(row: list[str]) -> list[str] | None:
    names = [cell.strip().lower() for cell in row]
    if set(COLUMNS) <= set(names) and set(names) <= set(COLUMNS) | set(OPTIONAL):
        return names
    return None


def _row(values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    kind = (values.get("kind") or "imap").strip().lower()
    if kind not in ("imap", "pop3"):
        problems.append(f"kind must be imap or pop3, not {kind!r}")
        kind = "imap"
    host = values.get("host", "").strip()
    if not host or any(ch.isspace() for ch in host):
        problems.append("host is missing" if not host else f"host {host!r} contains spaces")
    security = (values.get("security") or "tls").strip().lower()
    if security not in SECURITY:
        problems.append(f"security must be one of none, starttls, tls, not {security!r}")
        security = "tls"
    port_text = values.get("port", "").strip()
    port = DEFAULT_PORTS[(kind, security)]
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            problems.append(f"port {port_text!r} is not a number between 1 and 65535")
        else:
            port = int(port_text)
    username = values.get("username", "").strip()
    if not username:
        problems.append("username is missing")
    password = values.get("password", "")
    if not password:
        problems.append("password is missing")
    mailbox = values.get("mailbox", "").strip() or username
    entry = {"kind": kind, "host": host, "port": port, "security": security,
             "username": username, "password": password, "mailbox": mailbox}
    return entry, problems


def parse_mailbox_csv(text: str) -> list[dict[str, Any]]:
    """Parse the CSV; return one dict per mailbox or raise MailboxCsvError.

    Each dict has ``kind, host, port (int), security, username, password, mailbox``.
    Blank lines and lines starting with ``#`` are ignored; duplicate
    ``(kind, host, port, username)`` entries are errors.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    columns: list[str] = list(COLUMNS)
    entries: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[str, str, int, str], int] = {}
    first = True
    try:
        for row in reader:
            line = reader.line_num
            if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            if first:
                first = False
                header = _header(row)
                if header is not None:
                    columns = header
                    continue
            if len(row) != len(columns):
                errors.append((line, f"expected {len(columns)} columns ({', '.join(columns)}), got {len(row)}"))
                continue
            entry, problems = _row(dict(zip(columns, row, strict=True)))
            key = (entry["kind"], entry["host"].lower(), entry["port"], entry["username"].lower())
            if not problems and key in seen:
                problems.append(f"duplicate of line {seen[key]}")
            errors.extend((line, problem) for problem in problems)
            if not problems:
                seen[key] = line
                entries.append(entry)
    except csv.Error as exc:
        errors.append((reader.line_num, f"malformed CSV ({exc})"))
    if errors:
        raise MailboxCsvError(errors)
    return entries
