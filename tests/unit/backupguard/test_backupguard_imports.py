"""The package is framework-free: importing it loads neither Django nor a Kustos app."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = "import json, sys, kustos.backupguard; print(json.dumps(sorted(sys.modules)))"


def test_importing_backupguard_loads_no_django_and_no_app() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    loaded = json.loads(proc.stdout)
    assert "kustos.backupguard.detector" in loaded
    assert not [m for m in loaded if m == "django" or m.startswith("django.")]
    apps = ("accounts", "archive", "web", "api", "cli", "jobs", "tenants", "audit", "core")
    assert not [m for m in loaded if m.split(".")[:2] in (["kustos", a] for a in apps)]
