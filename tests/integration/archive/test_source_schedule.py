"""Sources run on their schedule (huey periodic task → jobs), failures raise an alert once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kustos.archive.models import Source
from kustos.archive.services import alerts
from kustos.archive.services import sources as service
from kustos.jobs import schedules
from kustos.jobs.models import Job
from tests import factories

pytestmark = pytest.mark.django_db


def test_due_sources_become_jobs_and_failures_alert(archive_customer, django_capture_on_commit_callbacks):
    admin = factories.user("ops@partner.example", "partner_admin", partner=archive_customer.partner)
    # an IMAP source on a port where nothing listens: every run fails with a clear error
    source = service.add(archive_customer, "imap", {"host": "127.0.0.1", "port": 9, "security": "none",
                                                   "username": "x"}, "pw", interval_minutes=15)
    paused = service.add(archive_customer, "imap", {"host": "127.0.0.1", "port": 9, "username": "y"}, "pw")
    service.update(paused, paused=True)
    assert [s.id for s in service.due()] == [source.id]

    for _ in range(alerts.FAILURE_THRESHOLD):
        with django_capture_on_commit_callbacks(execute=True):
            started = schedules.enqueue_due_sources.call_local()
        assert started == 1
        job = Job.objects.filter(kind="source.run").order_by("-created_at").first()
        assert job.state == "failed" and "refused" in job.error.lower()
        # not due again until the interval has passed
        assert service.due() == []
        Source.objects.filter(id=source.id).update(last_run_at=timezone.now() - timedelta(minutes=16))

    source.refresh_from_db()
    assert source.consecutive_failures == alerts.FAILURE_THRESHOLD
    assert service.status(source) == "failing"
    assert len(mail.outbox) == 1 and admin.email in mail.outbox[0].to
    assert "failing" in mail.outbox[0].subject
    # the overview shows the banner to the customer's admin
    it = factories.user("it@kunde.example", "customer_admin", customer=archive_customer)
    client = Client()
    client.force_login(it)
    page = client.get("/")
    assert page.status_code == 200
    assert source.name.encode() in page.content
