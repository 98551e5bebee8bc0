"""A kind registered only in a test (tests/toy_source_kind.py) gets a dashboard form, an API schema,
CLI `source add` and the archive run loop without any change to web/, api/ or cli/; every kind can be
added from a settings file; a source shows its services (archive enabled, backup not enabled)."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.api.schemas import settings_schema
from kustos.archive.models import Message, Source
from kustos.archive.services import sources as service
from kustos.cli import registry as cli
from kustos.core.secrets import open_secret
from kustos.sources.kinds import registry
from tests import factories, toy_source_kind
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def toy():
    registry.register(toy_source_kind.KIND)
    yield toy_source_kind.KIND
    registry.unregister("toy")


@pytest.fixture
def admin(archive_customer):
    return sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=archive_customer))


@pytest.fixture
def api(archive_customer):
    user = factories.user("pa@partner.example", "partner_admin", partner=archive_customer.partner, totp=True)
    _, token = tokens.create(user, "t")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def text(resp) -> str:
    return re.sub(r"<[^>]+>", "", resp.content.decode())


def cli_run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_toy_kind_gets_a_dashboard_form_in_both_languages_and_runs(toy, archive_customer, admin):
    base = f"/customers/{archive_customer.id}/sources/"
    page = admin.get(base + "new/?kind=toy").content.decode()
    assert 'data-testid="kind-toy"' in page and "Toy region" in page and 'name="token"' in page
    assert "A toy cloud for tests." in page and 'value="fancy"' in page
    admin.cookies.load({"django_language": "de"})
    assert "Spielzeug-Region" in admin.get(base + "new/?kind=toy", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    admin.cookies.load({"django_language": "en"})
    bad = admin.post(base + "new/", {"kind": "toy", "region": "eu", "flavour": "fancy", "batch_size": "900",
                                     "token": "good-token", "interval_minutes": "15"})
    assert bad.status_code == 400 and Source.objects.count() == 0
    resp = admin.post(base + "new/", {"kind": "toy", "region": "eu", "flavour": "fancy", "token": "good-token",
                                      "interval_minutes": "15"})
    assert resp.status_code == 302
    source = Source.objects.get(kind="toy")
    assert source.config == {"region": "eu", "flavour": "fancy"} and source.name == "toy eu"
    assert open_secret(source.secret, source.id) == "good-token"
    html = admin.get(base).content.decode()
    assert "Toy Cloud · eu" in html and "Backup: not enabled" in text(admin.get(base))
    edit = admin.post(f"{base}{source.id}/edit/", {"region": "us", "flavour": "fancy", "interval_minutes": "15"})
    assert edit.status_code == 400 and "changing the region requires the toy token to be entered again" in \
        edit.content.decode()
    tested = admin.post(f"{base}{source.id}/test/", follow=True).content.decode()
    assert "works" in tested
    assert service.run(source)["imported"] == 1
    source.refresh_from_db()
    assert source.cursors == {"box-1": {"seen": 1}} and source.items_archived == 1
    assert service.run(source)["imported"] == 0 and Message.objects.filter(customer=archive_customer).count() == 1


def test_toy_kind_gets_an_api_schema_and_unknown_fields_are_named(toy, archive_customer, api):
    schema = settings_schema(toy)
    assert schema["properties"]["flavour"]["enum"] == ["plain", "fancy"] and schema["required"] == ["region"]
    client = Client()
    openapi = json.dumps(client.get("/api/v1/openapi.json", **api).json())
    assert "toy settings (Toy Cloud)" in openapi and "graph settings (Microsoft 365)" in openapi
    url = f"/api/v1/customers/{archive_customer.id}/sources"
    refused = client.post(url, {"kind": "toy", "config": {"region": "eu", "colour": "red"}, "secret": "t"},
                          content_type="application/json", **api)
    assert refused.status_code == 422 and refused.json()["detail"] == "unknown source settings: colour"
    created = client.post(url, {"kind": "toy", "config": {"region": "eu", "batch_size": 20}, "secret": "good-token"},
                          content_type="application/json", **api)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "toy" and body["config"] == {"region": "eu", "batch_size": 20}
    assert body["services"] == {"archive": True, "backup": False} and "good-token" not in created.content.decode()
    assert client.post(f"/api/v1/sources/{body['id']}/test", **api).json() == {"ok": True, "error": None}


def test_toy_kind_gets_cli_options_and_a_settings_file(toy, archive_customer, capsys, monkeypatch, tmp_path):
    code, out, err = cli_run(capsys, monkeypatch, "source", "add", "toy", "--customer", archive_customer.id,
                             "--region", "eu", "--flavour", "fancy", "--token-stdin", "--json", stdin="good-token\n")
    assert code == 0, err
    added = json.loads(out)
    assert set(added) == {"id", "kind"} and added["kind"] == "toy"
    assert open_secret(Source.objects.get(id=added["id"]).secret, added["id"]) == "good-token"
    code, _, err = cli_run(capsys, monkeypatch, "source", "add", "toy", "--customer", archive_customer.id,
                           "--region", "eu", "--json")
    assert code == 1 and err.strip() == "kustos: error: --token-stdin is required (or give --settings-file)"
    settings = tmp_path / "toy.json"
    settings.write_text(json.dumps({"region": "ap", "token": "good-token"}))
    code, out, err = cli_run(capsys, monkeypatch, "source", "add", "toy", "--customer", archive_customer.id,
                             "--settings-file", str(settings), "--json")
    assert code == 0, err
    assert Source.objects.get(id=json.loads(out)["id"]).config == {"region": "ap"}


def test_every_kind_adds_from_a_settings_file_with_secrets_from_the_file(archive_customer, capsys, monkeypatch,
                                                                          tmp_path):
    path = tmp_path / "imap.json"
    path.write_text(json.dumps({"host": "127.0.0.1", "port": 9, "security": "none", "username": "anna",
                                "password": "pw-from-file", "include": ["INBOX"]}))
    code, out, err = cli_run(capsys, monkeypatch, "source", "add", "imap", "--customer", archive_customer.id,
                             "--settings-file", str(path), "--json")
    assert code == 0, err
    source = Source.objects.get(id=json.loads(out)["id"])
    assert source.config == {"host": "127.0.0.1", "port": 9, "security": "none", "username": "anna",
                             "include": ["INBOX"], "mailbox": "anna"}
    assert open_secret(source.secret, source.id) == "pw-from-file"
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps({"tenant_id": "t-1", "client_id": "c-1", "client_secret": "s-1"}))
    code, out, err = cli_run(capsys, monkeypatch, "source", "add", "graph", "--customer", archive_customer.id,
                             "--settings-file", str(graph), "--endpoint", "http://127.0.0.1:9", "--json")
    assert code == 0, err
    assert Source.objects.get(id=json.loads(out)["id"]).config == {"tenant_id": "t-1", "client_id": "c-1",
                                                                   "endpoint": "http://127.0.0.1:9"}
    for content, error in (({"host": "h", "username": "u", "password": "p", "colour": "red"},
                            "unknown source settings: colour"),
                           ({"host": "h", "username": "u"}, "the settings file lacks password"),
                           ("{broken", "is not valid JSON")):
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        code, _, err = cli_run(capsys, monkeypatch, "source", "add", "imap", "--customer", archive_customer.id,
                               "--settings-file", str(path), "--json")
        assert code == 1 and error in err and len(err.strip().splitlines()) == 1
    code, _, err = cli_run(capsys, monkeypatch, "source", "add", "imap", "--customer", archive_customer.id,
                           "--settings-file", str(path), "--host", "h", "--json")
    assert code == 1 and "--settings-file and --host exclude each other" in err
    code, _, err = cli_run(capsys, monkeypatch, "source", "add", "imap", "--customer", archive_customer.id,
                           "--settings-file", str(path), "--no-verify-tls", "--json")
    assert code == 1 and "--settings-file and --no-verify-tls exclude each other" in err
    assert Source.objects.count() == 2


def test_one_microsoft_365_connection_shows_backup_not_enabled(archive_customer, admin, api):
    graph = service.add(archive_customer, "graph", {"tenant_id": "t-1", "client_id": "c-1"}, "s")
    imap = service.add(archive_customer, "imap", {"host": "127.0.0.1", "username": "u"}, "pw")
    assert graph.services == ["archive"]
    assert service.public(graph)["services"] == {"archive": True, "backup": False}
    assert service.public(imap)["services"] == {"archive": True}  # IMAP offers no backup
    assert Client().get(f"/api/v1/sources/{graph.id}", **api).json()["services"] == {"archive": True,
                                                                                      "backup": False}
    html = text(admin.get(f"/customers/{archive_customer.id}/sources/{graph.id}/edit/"))
    assert "Archive: enabled · Backup: not enabled" in html
    admin.cookies.load({"django_language": "de"})
    german = text(admin.get(f"/customers/{archive_customer.id}/sources/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "Archiv: aktiviert · Backup: nicht aktiviert" in german


def test_scopes_are_discovered_by_the_kind_in_api_and_cli(toy, archive_customer, api, capsys, monkeypatch):
    good = service.add(archive_customer, "toy", {"region": "eu"}, "good-token")
    bad = service.add(archive_customer, "toy", {"region": "eu"}, "wrong-token")
    toy_scopes = [{"id": "box-1", "kind": "mailbox", "name": "anna@kunde.example"}]
    resp = Client().post(f"/api/v1/sources/{good.id}/scopes", **api)
    assert resp.status_code == 200 and resp.json() == {"ok": True, "error": None, "scopes": toy_scopes}
    code, out, _ = cli_run(capsys, monkeypatch, "source", "scopes", good.id, "--json")
    assert code == 0 and json.loads(out)["scopes"] == toy_scopes
    code, out, _ = cli_run(capsys, monkeypatch, "source", "scopes", bad.id, "--json")
    assert code == 1 and json.loads(out) == {"ok": False, "error": "toy: the token was refused", "scopes": []}
