"""GET /api/v1/health/installation (operator only), /api/v1/health/customers (scoped),
/api/v1/customers/{id}/usage/daily and `kustos health [--customers] --json`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.services import tokens
from kustos.billing.models import UsageSample
from kustos.cli import registry
from kustos.jobs.models import Job
from kustos.monitoring import usage
from tests import factories
from tests.integration.health.conftest import journal, source

pytestmark = pytest.mark.django_db


def _bearer(user) -> dict:
    _, secret = tokens.create(user, "ci")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def world():
    partner = factories.partner("Api Health Partner")
    admin = factories.user("admin@api-health.example", "partner_admin", partner=partner)
    operator = factories.user("op@api-health.example", "operator")
    red = factories.customer(partner, "Rot AG")
    source(red, failures=3, last_run=timezone.now() - timedelta(minutes=1))
    green = factories.customer(partner, "Gruen AG")
    journal(green, last_delivery=timezone.now() - timedelta(minutes=5))
    foreign = factories.customer(factories.partner("Foreign Partner"), "Fremd AG")
    now = timezone.now()
    Job.objects.create(kind="archive.import", state=Job.State.FAILED, finished_at=now - timedelta(hours=2),
                       error="boom")
    Job.objects.create(kind="archive.import", state=Job.State.FAILED, finished_at=now - timedelta(hours=30),
                       error="too old to count")
    pending = Job.objects.create(kind="archive.import", state=Job.State.QUEUED)
    Job.objects.filter(id=pending.id).update(created_at=now - timedelta(minutes=10))
    Job.objects.create(kind="archive.import", state=Job.State.RUNNING, worker="h1:10/w-1", heartbeat_at=now)
    Job.objects.create(kind="archive.import", state=Job.State.RUNNING, worker="h1:10/w-2", heartbeat_at=now)
    Job.objects.create(kind="archive.import", state=Job.State.RUNNING, worker="h2:20/w-1",
                       heartbeat_at=now - timedelta(hours=1))  # dead: no heartbeat for an hour
    return {"partner": partner, "admin": admin, "operator": operator, "red": red, "green": green,
            "foreign": foreign}


def test_installation_health_api_for_the_operator(world):
    client = Client()
    body = client.get("/api/v1/health/installation", **_bearer(world["operator"])).json()
    jobs = body["jobs"]
    assert (jobs["pending"], jobs["failed_24h"], jobs["running"]) == (1, 1, 3)
    assert jobs["workers_alive"] == 1 and jobs["workers"] == ["h1:10"] and jobs["stale_running"] == 1
    assert 590 <= jobs["oldest_pending_age_seconds"] <= 700
    assert [j["error"] for j in jobs["failed_recent"]] == ["boom"]
    assert body["disk"]["total_bytes"] > 0 and 0 <= body["disk"]["used_percent"] <= 100
    assert isinstance(body["queue_depth"], int)
    (vault,) = body["vaults"]
    assert vault["default_vault"] is True and vault["customers"] == 3 and vault["error"] == ""
    assert vault["stored_bytes"] >= 0
    denied = client.get("/api/v1/health/installation", **_bearer(world["admin"]))
    assert denied.status_code == 403


def test_customer_states_api_is_scoped_and_names_reasons(world):
    rows = Client().get("/api/v1/health/customers", **_bearer(world["admin"])).json()
    assert [r["customer"] for r in rows] == ["Rot AG", "Gruen AG"]
    assert rows[0]["state"] == "red"
    assert rows[0]["services"]["archive"]["reasons"] == [{"code": "sources_failing", "text": "1 source failing"}]
    assert rows[1]["services"]["archive"]["state"] == "green" and rows[1]["services"]["backup"]["state"] == "off"
    assert rows[1]["services"]["archive"]["last_success"] is not None


def test_usage_api_per_day(world):
    red = world["red"]
    today = usage.today()
    UsageSample.objects.create(partner=world["partner"], customer_id=red.id, service="archive", day=today,
                               taken_at=timezone.now(), stored_bytes=12345)
    UsageSample.objects.create(partner=world["partner"], customer_id=red.id, service="backup",
                               day=today - timedelta(days=1), taken_at=timezone.now(), accounts=7)
    auth = _bearer(world["admin"])
    client = Client()
    rows = client.get(f"/api/v1/customers/{red.id}/usage/daily?days=3", **auth).json()
    assert rows == [{"day": (today - timedelta(days=2)).isoformat(), "stored_bytes": 0, "accounts": 0},
                    {"day": (today - timedelta(days=1)).isoformat(), "stored_bytes": 0, "accounts": 7},
                    {"day": today.isoformat(), "stored_bytes": 12345, "accounts": 0}]
    bad = client.get(f"/api/v1/customers/{red.id}/usage/daily?days=0", **auth)
    assert bad.status_code == 422 and bad.json()["detail"] == "days must be between 1 and 730, not 0"
    assert client.get(f"/api/v1/customers/{world['foreign'].id}/usage/daily", **auth).status_code == 404


def test_cli_health_json(world, capsys):
    assert registry.run(["health", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["jobs"]["failed_24h"] == 1 and body["jobs"]["workers_alive"] == 1
    assert set(body) == {"at", "queue_depth", "jobs", "disk", "vaults"}
    assert registry.run(["health", "--customers", "--partner", world["partner"].name, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["customer"], r["state"]) for r in rows] == [("Rot AG", "red"), ("Gruen AG", "green")]
    assert registry.run(["health", "--customers"]) == 0
    out = capsys.readouterr().out
    assert "archive=red: 1 source failing" in out and "Fremd AG" in out
    assert registry.run(["health", "--partner", "x"]) == 1
    assert capsys.readouterr().err.strip() == "kustos: error: --partner needs --customers"
