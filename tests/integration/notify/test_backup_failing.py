"""A backup run that fails raises ``backup.failing``: the partner's webhook receives it, signed."""

from __future__ import annotations

import pytest

from kustos.archive.services import sources
from kustos.backup.services import plans
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.notify.models import WebhookDelivery
from kustos.notify.services import routes, signing, webhooks
from kustos.sources.kinds import registry
from tests.integration.backup import toy_backup

pytestmark = pytest.mark.django_db


@pytest.fixture
def cloud():
    registry.register(toy_backup.KIND)
    c = toy_backup.Cloud()
    c.put("ben", "c1", "contact", "Contacts", "c1", b"BEGIN:VCARD\r\nFN:Ben\r\nEND:VCARD\r\n")
    toy_backup.CLOUDS["nt"] = c
    yield c
    toy_backup.CLOUDS.pop("nt", None)
    registry.unregister("toybackup")


def _run(plan):
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    return job


def test_failed_backup_run_reaches_the_webhook(notify_customer, cloud, receiver, django_capture_on_commit_callbacks):
    partner = notify_customer.partner
    endpoint, secret = webhooks.create(partner, receiver.url, actor="test")
    routes.add(partner, event_type="backup.failing", channel="webhook", webhook=endpoint.id, actor="test")
    source = sources.add(notify_customer, "toybackup", {"cloud": "nt"}, "secret-token", actor="test")
    plan = plans.enable(source)
    cloud.broken_scope = "ben"
    with django_capture_on_commit_callbacks(execute=True):
        job = plans.run_now(plan, actor="test")
        execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    assert signing.verify(secret, req.headers["x-kustos-timestamp"], req.body, req.headers["x-kustos-signature"])
    body = req.json
    assert body["type"] == "backup.failing" and body["customer"] == notify_customer.id
    assert body["detail"]["plan"] == plan.id and "unavailable" in body["detail"]["error"]
    assert WebhookDelivery.objects.get(endpoint=endpoint).status == "delivered"
    # the retry that fails again is the same incident: no second event
    with django_capture_on_commit_callbacks(execute=True):
        assert _run(plan).state == Job.State.FAILED
    assert len(receiver.requests) == 1
    # after a successful run, a new failure is a new incident
    cloud.broken_scope = ""
    with django_capture_on_commit_callbacks(execute=True):
        assert _run(plan).state == Job.State.SUCCEEDED
    cloud.broken_scope = "ben"
    with django_capture_on_commit_callbacks(execute=True):
        assert _run(plan).state == Job.State.FAILED
    assert [r.json["type"] for r in receiver.requests] == ["backup.failing", "backup.failing"]
