"""A search index built by an older analysis version is not searched (old and new analysis
would mix): the API and the search page answer 503 with a one-line reason naming the rebuild;
`kustos index rebuild` makes it searchable again."""

from __future__ import annotations

import html
import json

import psycopg

from kustos.archive.services import recover, search_rebuild
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.core import runtime
from kustos.search import PostgresIndex
from kustos.search.backends.postgres_schema import TABLE
from tests.integration.archive_access.conftest import World


def make_outdated(customer_id: str) -> None:
    """What an index built before the current analysis looks like, on the configured backend."""
    index = runtime.search_index()
    if isinstance(index, PostgresIndex):
        with psycopg.connect(index.dsn, autocommit=True) as conn:
            conn.execute(f"UPDATE {TABLE} SET analysis = 1 WHERE customer = %s", (customer_id,))
        return
    runtime.reset()
    (runtime.settings().index_path / customer_id / "kustos-schema-version").write_text("2")


def test_outdated_index_answers_503_naming_the_rebuild(world: World):
    url = f"/api/v1/customers/{world.customer.id}/archive/search"
    ok = world.client("admin").get(url, {"q": "Rechnungen"}, **world.api("admin"))
    assert ok.status_code == 200 and ok.json()["total"] == 13  # stems: "Rechnungen" finds "Rechnung 3"
    make_outdated(world.customer.id)
    resp = world.client("admin").get(url, {"q": "Rechnung"}, **world.api("admin"))
    assert resp.status_code == 503 and resp["Content-Type"] == "application/problem+json"
    detail = resp.json()["detail"]
    assert "rebuild it" in detail and world.customer.id in detail and "\n" not in detail


def test_outdated_index_search_page_answers_503_with_the_reason(world: World):
    make_outdated(world.customer.id)
    page = world.client("admin").get("/archive/search/", {"customer": world.customer.id, "q": "Rechnung"})
    assert page.status_code == 503
    text = html.unescape(page.content.decode())
    assert "rebuild it" in text and world.customer.id in text


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
