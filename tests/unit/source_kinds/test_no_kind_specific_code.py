"""No kind-specific code in web/, api/ or cli/: kinds, their fields and labels live in sources/kinds.

Every registered kind's name (as a string literal or template comparison), its labels and the names
of its own fields (those not shared by every kind, e.g. tenant_id, ca_pem, admin_email) must not
appear in the Python code of the three packages or in the source templates.
"""

from __future__ import annotations

import re
from pathlib import Path

from kustos.sources.kinds import registry

SRC = Path(__file__).resolve().parents[3] / "src" / "kustos"
PACKAGES = ("web", "api", "cli")
TEMPLATES = SRC / "web" / "templates" / "kustos" / "sources"
GENERIC_FIELDS = {"host", "port", "security", "username", "password", "mailbox", "endpoint", "timeout", "include",
                  "exclude"}  # ordinary words that also name other things (request host, login username, ...)


def _files() -> list[Path]:
    files = [p for pkg in PACKAGES for p in (SRC / pkg).rglob("*.py")]
    return files + sorted(TEMPLATES.glob("*.html"))


def _patterns() -> list[re.Pattern[str]]:
    patterns = []
    for kind in registry.all_kinds():
        patterns.append(re.compile(rf"""["']{re.escape(kind.name)}["']"""))
        patterns.append(re.compile(rf"\bkind\s*==\s*{re.escape(kind.name)}\b"))
        if kind.label.lower() != kind.name:
            patterns.append(re.compile(re.escape(kind.label)))
        for spec in kind.fields:
            if spec.name not in GENERIC_FIELDS:
                patterns.append(re.compile(rf"\b{re.escape(spec.name)}\b"))
    return patterns


TEMPLATE_ONLY = re.compile(r"config\.\w+")  # a template reading a kind's settings by name


def hits(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.name == "journal.html":  # SMTP journaling page, not a source kind
            continue
        for pattern in _patterns() + ([TEMPLATE_ONLY] if path.suffix == ".html" else []):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path}:{line}: {match.group(0)}")
    return found


def test_web_api_cli_name_no_kind_and_no_kind_field():
    assert hits(_files()) == []


def test_the_scan_finds_kind_specific_code(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text('KINDS = [("imap", "IMAP")]\nif kind == "graph": config["tenant_id"] = x\n')
    template = tmp_path / "list.html"
    template.write_text("{{ s.config.admin_email }} Microsoft 365")
    found = hits([sample, template])
    assert any("'imap'" in h or '"imap"' in h for h in found) and any("tenant_id" in h for h in found)
    assert any("config.admin_email" in h for h in found) and any("Microsoft 365" in h for h in found)
