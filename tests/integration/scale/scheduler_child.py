"""A scheduler process for the race test: ``setup N`` migrates the home's database and adds N never-run
sources; ``tick -`` says ready, reads a wall-clock time from stdin, waits for it, runs one scheduler tick and prints how many
source runs it started (jobs are recorded, not handed to a queue)."""

from __future__ import annotations

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
django.setup()

from kustos.archive.models import Source  # noqa: E402
from kustos.archive.services import source_schedule  # noqa: E402
from kustos.cli import startup  # noqa: E402
from kustos.jobs import services as jobs  # noqa: E402
from tests.integration.scale.population import populate  # noqa: E402


def main(mode: str, arg: str) -> None:
    if mode == "setup":
        startup.migrate_if_needed()
        population = populate(int(arg), messages=0)
        Source.objects.filter(id__in=[s.id for s in population.sources]).update(last_run_at=None)
        return
    jobs.enqueue = lambda job_id, delay: None  # no queue in this test: the job rows are the outcome
    print("ready", flush=True)
    at = float(sys.stdin.readline())  # the same moment for both schedulers, sent once both are ready
    time.sleep(max(0.0, at - time.time()))
    print(len(source_schedule.enqueue_due()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
