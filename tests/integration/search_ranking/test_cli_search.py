"""`kustos search`: best-match order by default, --sort and --facets, total and time taken."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

NOW = datetime.now(UTC)


def kustos(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, timeout=300)


def ok(env: dict, *args: str):
    proc = kustos(env, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def mail(subject: str, body: str, age_days: int, sender: str) -> bytes:
    return (f"From: {sender}\r\nTo: k@kunde.example\r\nSubject: {subject}\r\n"
            f"Date: {format_datetime(NOW - timedelta(days=age_days))}\r\nMessage-ID: <{subject.replace(' ', '.')}"
            f".{age_days}@x>\r\n\r\n{body}\r\n").encode()


def test_search_orders_and_facets(cli_env: dict, tmp_path: Path):
    ok(cli_env, "partner", "create", "P")
    ok(cli_env, "customer", "create", "--partner", "P", "Kunde")
    (tmp_path / "old.eml").write_bytes(mail("Heizung alt", "Die Heizung ist defekt.", 2000, "a@alt.example"))
    (tmp_path / "new.eml").write_bytes(mail("Heizung neu", "Die Heizung ist defekt.", 3, "b@neu.example"))
    ok(cli_env, "import", "--customer", "Kunde", "--mailbox", "k@kunde.example", str(tmp_path))
    best = ok(cli_env, "search", "--customer", "Kunde", "--facets", "heizung")
    assert [h["subject"] for h in best["hits"]] == ["Heizung neu", "Heizung alt"]
    assert best["total"] == 2 and best["took_ms"] >= 0
    assert best["facets"]["mailbox"] == {"k@kunde.example": 2}
    assert best["facets"]["sender_domain"] == {"alt.example": 1, "neu.example": 1}
    assert best["facets"]["has_attachment"] == {"with": 0, "without": 2}
    assert sum(best["facets"]["year"].values()) == 2
    for sort in ("relevance", "date"):
        assert ok(cli_env, "search", "--customer", "Kunde", "--sort", sort, "heizung")["total"] == 2
    assert "facets" not in ok(cli_env, "search", "--customer", "Kunde", "heizung")
    text = kustos(cli_env, "search", "--customer", "Kunde", "--facets", "heizung")
    assert text.returncode == 0
    first = text.stdout.decode().splitlines()[0]
    assert first.startswith("2 messages (") and first.endswith(" ms)")
    bad = kustos(cli_env, "search", "--customer", "Kunde", "--sort", "newest", "heizung")
    assert bad.returncode != 0 and b"invalid choice: 'newest'" in bad.stderr
