"""A backup run must not load the mail parser and the extractors that search indexing needs (over a
second and ~60 MB): the run only queues the ``backup.index`` job, whose handler lives in its own module."""

from __future__ import annotations

import json
import subprocess
import sys

from kustos.jobs.handlers import HANDLERS

HEAVY = ("kustos.mail.parse", "kustos.mail.extractors", "kustos.mail.attachments", "kustos.backup.searchdoc")

PROBE = """
import json, sys
import django
django.setup()
import kustos.backup.jobs, kustos.backup.services.runs, kustos.backup.services.retention
print(json.dumps(sorted(sys.modules)))
"""


def test_the_run_and_retention_handlers_do_not_load_the_indexing_stack(cli_env: dict):
    env = {**cli_env, "DJANGO_SETTINGS_MODULE": "kustos.django_settings"}
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = [m for m in json.loads(proc.stdout.strip().splitlines()[-1])
              if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == []
    assert HANDLERS["backup.index"].target == "kustos.backup.search_jobs:index_run"
