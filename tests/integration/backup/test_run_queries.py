"""The database work of a backup run is per account, not per item: a run that stores 300 new
items makes as many queries as one that stores two."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kustos.backup.models import BackupPlan
from kustos.backup.services import plans
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute

pytestmark = pytest.mark.django_db


def queries_of_a_run(plan: BackupPlan) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        job = plans.run_now(plan, actor="test")
        execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return len(captured.captured_queries), job.result


def test_queries_of_a_run_do_not_grow_with_its_items(source, cloud):
    plan = plans.enable(source)
    queries_of_a_run(plan)
    for n in range(300):
        cloud.put("anna", f"n{n}", "file", "Documents/Many", f"note{n}.txt", f"note {n}\n".encode() * 20)
    many, result = queries_of_a_run(plan)
    assert result["stored"] == 300 and result["failed"] == []
    cloud.put("anna", "n7", "file", "Documents/Many", "note7.txt", b"changed note\n" * 20)
    cloud.put("anna", "n8", "file", "Documents/Many", "note8.txt", b"changed note\n" * 21)
    few, result = queries_of_a_run(plan)
    assert result["stored"] == 2 and result["unchanged"] == 0
    assert many == few, f"{many} queries for 300 new items, {few} for two changed ones"
