"""A search index built by an older analysis version is not searched (old and new analysis
would mix): the first search or ingest that meets it starts the rebuild as a job by itself, the API
and the search page answer 503 saying so until the job is done; `kustos index rebuild` does the
same in the foreground (and is what a command running its jobs inline names)."""

from __future__ import annotations

import html
import json

import pytest

from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import recover, search_rebuild
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.core import runtime
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.search import PostgresIndex
from tests.integration.archive_access.conftest import World
from tests.integration.outdated_index import make_outdated


@pytest.fixture(autouse=True)
def as_a_worker(monkeypatch):
    """Searches and ingests here run as in `kustos serve` (jobs go to the queue); a `kustos`
    command run by a test switches to inline jobs, and this puts it back afterwards."""
    monkeypatch.setattr(jobs, "inline", False)


def _rebuild_jobs(world: World) -> list[Job]:
    return list(Job.objects.filter(kind=search_rebuild.JOB_KIND, customer_id=world.customer.id))


def test_the_first_search_of_an_outdated_index_starts_the_rebuild_and_says_so(world: World):
    url = f"/api/v1/customers/{world.customer.id}/archive/search"
    ok = world.client("admin").get(url, {"q": "Rechnungen"}, **world.api("admin"))
    assert ok.status_code == 200 and ok.json()["total"] == 13  # stems: "Rechnungen" finds "Rechnung 3"
    make_outdated(world.customer.id)
    resp = world.client("admin").get(url, {"q": "Rechnung"}, **world.api("admin"))
    assert resp.status_code == 503 and resp["Content-Type"] == "application/problem+json"
    detail = resp.json()["detail"]
    assert "is being rebuilt" in detail and "started automatically" in detail and "\n" not in detail
    again = world.client("admin").get(url, {"q": "Rechnung"}, **world.api("admin"))
    assert again.status_code == 503
    [job] = _rebuild_jobs(world)  # one job, however many searches meet the old index
    execute(job.id)  # as a worker runs it
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["indexed"] == 13
    runtime.reset()
    after = world.client("admin").get(url, {"q": "Rechnungen"}, **world.api("admin"))
    assert after.status_code == 200 and after.json()["total"] == 13
    event = AuditEvent.objects.get(action="archive.search_index.rebuild", customer_id=world.customer.id)
    assert event.actor == "system"


def test_outdated_index_search_page_answers_503_with_the_reason(world: World):
    make_outdated(world.customer.id)
    page = world.client("admin").get("/archive/search/", {"customer": world.customer.id, "q": "Rechnung"})
    assert page.status_code == 503
    text = html.unescape(page.content.decode())
    assert "is being rebuilt" in text and world.customer.id in text
    assert len(_rebuild_jobs(world)) == 1


def test_a_command_running_jobs_inline_names_the_rebuild_command(world: World, capsys):
    make_outdated(world.customer.id)
    assert registry.run(["search", "--customer", world.customer.id, "Rechnung"]) == 1  # runs jobs inline
    err = capsys.readouterr().err
    assert err.startswith("kustos: error:") and f"kustos index rebuild --customer {world.customer.id}" in err
    assert err.count("\n") == 1
    assert _rebuild_jobs(world) == []


def test_mail_ingested_into_an_outdated_index_is_kept_and_indexed_by_the_rebuild(world: World):
    make_outdated(world.customer.id)
    raw = (b"From: a@lieferant.example\r\nTo: kim@kunde.example\r\nSubject: Nachzuegler\r\n"
           b"Message-ID: <late@lieferant.example>\r\nDate: Mon, 1 Jul 2024 10:00:00 +0000\r\n\r\nStromrechnung Juli\r\n")
    with Ingestor(world.customer).session() as ingestor:
        assert ingestor.ingest([Incoming(raw=raw, mailbox="kim@kunde.example", folders=["INBOX"],
                                         source="test")]).imported == 1
    late = Message.objects.get(customer=world.customer, message_id="<late@lieferant.example>")
    url = f"/api/v1/customers/{world.customer.id}/archive/search"
    if not isinstance(runtime.search_index(), PostgresIndex):
        # tantivy refuses to write into the old index: the message is archived (vault, database), not
        # indexed, and the ingest itself started the rebuild. PostgreSQL writes the new row and
        # leaves the old ones to the search below.
        assert late.indexed is False and len(_rebuild_jobs(world)) == 1
    waiting = world.client("admin").get(url, {"q": "Rechnung Juli"}, **world.api("admin"))
    assert waiting.status_code == 503 and "is being rebuilt" in waiting.json()["detail"]
    [job] = _rebuild_jobs(world)
    execute(job.id)
    late.refresh_from_db()
    assert late.indexed is True
    runtime.reset()
    found = world.client("admin").get(url, {"q": "Rechnung Juli"}, **world.api("admin"))
    assert found.status_code == 200 and [h["id"] for h in found.json()["hits"]] == [late.id]


def test_cli_index_rebuild_makes_an_outdated_index_searchable_again(world: World, capsys):
    make_outdated(world.customer.id)
    assert registry.run(["index", "rebuild", "--customer", world.customer.id, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["customer"] == world.customer.id and out["indexed"] == 13
    event = AuditEvent.objects.filter(action="archive.search_index.rebuild", customer_id=world.customer.id).get()
    assert event.detail == {"indexed": 13} and event.actor == "cli"
    runtime.reset()
    url = f"/api/v1/customers/{world.customer.id}/archive/search"
    resp = world.client("admin").get(url, {"q": "Rechnungen"}, **world.api("admin"))
    assert resp.status_code == 200 and resp.json()["total"] == 13


def test_cli_index_rebuild_of_an_unknown_customer_is_a_one_line_error(world: World, capsys):
    assert registry.run(["index", "rebuild", "--customer", "no-such-customer"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kustos: error:") and "no-such-customer" in err and err.count("\n") == 1


def test_searches_during_a_rebuild_say_it_is_being_rebuilt(world: World, monkeypatch):
    url = f"/api/v1/customers/{world.customer.id}/archive/search"
    seen = []
    original = recover.rebuild_index

    def searched_meanwhile(customer, progress=None):
        seen.append(world.client("admin").get(url, {"q": "Rechnung"}, **world.api("admin")))
        seen.append(world.client("admin").get("/archive/search/", {"customer": world.customer.id, "q": "Rechnung"}))
        return original(customer, progress)

    monkeypatch.setattr(recover, "rebuild_index", searched_meanwhile)
    assert search_rebuild.rebuild(world.customer, actor="test")["indexed"] == 13
    api, page = seen
    assert api.status_code == 503 and "is being rebuilt" in api.json()["detail"]
    assert page.status_code == 503 and "is being rebuilt" in html.unescape(page.content.decode())
    after = world.client("admin").get(url, {"q": "Rechnung"}, **world.api("admin"))
    assert after.status_code == 200 and after.json()["total"] == 13
