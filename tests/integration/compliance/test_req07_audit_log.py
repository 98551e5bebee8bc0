"""COMPLIANCE.md requirement 7: the hash-chained audit log is readable (CLI, API, dashboard) within
each role's scope, editing or removing an entry is named by `kustos audit verify`, and every ingest
path (SMTP journaling drain, source run) records one ``ingest.batch`` event per batch."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.services import tokens, users
from kustos.archive.models import Message
from kustos.archive.services import journal, journal_drain
from kustos.archive.services import sources as source_service
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.sources.base import Batch, ConnectorError, Item
from kustos.sources.kinds import registry as kinds
from kustos.sources.smtp import Envelope, Spool
from tests import factories, toy_source_kind
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


class World:
    def __init__(self) -> None:
        self.p1, self.p2 = factories.partner("Audit Partner Eins"), factories.partner("Audit Partner Zwei")
        self.a, self.a2 = factories.customer(self.p1, "Kunde A"), factories.customer(self.p1, "Kunde A2")
        self.b = factories.customer(self.p2, "Kunde B")
        self.users = {
            "op": factories.user("op@kustos.example", "operator", totp=True),
            "pa": factories.user("pa@p1.example", "partner_admin", partner=self.p1, totp=True),
            "pt": factories.user("pt@p1.example", "partner_tech", partner=self.p1, totp=True),
            "ca": factories.user("ca@a.example", "customer_admin", customer=self.a),
            "cb": factories.user("cb@b.example", "customer_admin", customer=self.b),
            "eu": factories.user("eu@a.example", "end_user", customer=self.a),
            "au": factories.user("au@tax.example", "auditor"),
        }
        users.grant(self.users["au"], self.a, expires_at=timezone.now() + timedelta(days=5), actor="cli")
        self.tokens = {k: tokens.create(u, "t")[1] for k, u in self.users.items()}

    def api(self, who: str, path: str, method: str = "get", **data):
        client = Client()
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[who]}"}
        if method == "post":
            return client.post(path, data=json.dumps(data), content_type="application/json", **kwargs)
        return client.get(path, data, **kwargs)


@pytest.fixture
def world(tmp_path, settings):
    settings.KUSTOS = replace(settings.KUSTOS, home=tmp_path / "home")
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield World()
    runtime.reset()


def cli_run(capsys, monkeypatch, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys, monkeypatch, *argv: str):
    code, out, err = cli_run(capsys, monkeypatch, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_req07_real_actions_appear_in_cli_api_and_dashboard_with_filters(world, capsys, monkeypatch):
    ca = world.users["ca"]
    login = Client().post("/login/", {"email": ca.email, "password": factories.PASSWORD})
    assert login.status_code == 302
    assert world.api("ca", f"/api/v1/customers/{world.a.id}/archive/search", q="invoice").status_code == 200
    assert world.api("ca", f"/api/v1/customers/{world.a.id}/archive/export", "post", query="").status_code == 200

    rows = cli_json(capsys, monkeypatch, "audit", "log", "--customer", "Kunde A", "--action", "archive.")
    assert [r["action"] for r in rows] == ["archive.export", "archive.search"]
    assert set(rows[0]) == {"seq", "at", "actor", "action", "customer", "target", "outcome", "detail"}
    assert {r["actor"] for r in rows} == {ca.email} and {r["customer"] for r in rows} == {world.a.id}
    logins = cli_json(capsys, monkeypatch, "audit", "log", "--user", ca.email, "--action", "auth.")
    assert [r["action"] for r in logins] == ["auth.login"]
    assert cli_json(capsys, monkeypatch, "audit", "log", "--since", "2999-01-01") == []
    today = timezone.now().astimezone(UTC).date().isoformat()
    assert len(cli_json(capsys, monkeypatch, "audit", "log", "--customer", world.a.id, "--since", today,
                        "--until", today, "--action", "archive.")) == 2  # a bare --until date includes that day
    assert len(cli_json(capsys, monkeypatch, "audit", "log", "--limit", "2")) == 2
    code, _, err = cli_run(capsys, monkeypatch, "audit", "log", "--limit", "0")
    assert code == 1 and "limit must be between 1 and 1000" in err
    code, _, err = cli_run(capsys, monkeypatch, "audit", "log", "--until", "yesterday")
    assert code == 1 and "until must be an ISO date" in err

    api = world.api("ca", "/api/v1/audit", customer=world.a.id, action="archive.export")
    assert api.status_code == 200 and [r["action"] for r in api.json()] == ["archive.export"]
    own = world.api("ca", "/api/v1/audit", user=ca.email).json()
    assert {"auth.login", "archive.search", "archive.export"} <= {r["action"] for r in own}
    assert world.api("ca", "/api/v1/audit", limit=5000).status_code in (400, 422)

    page = sign_in(Client(), ca).get("/audit/", {"customer": world.a.id, "action": "archive.export"})
    html = page.content.decode()
    assert page.status_code == 200 and "archive.export" in html and "archive.search" not in html
    assert "Audit log" in html
    german = sign_in(Client(), ca).get("/audit/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Prüfprotokoll" in german


def _visible(world, who: str) -> set[str]:
    resp = world.api(who, "/api/v1/audit", limit=1000)
    assert resp.status_code == 200, (who, resp.content)
    return {r["target"] for r in resp.json()}


def test_req07_scope_per_role(world):
    audit.record("test.a", actor=world.users["ca"], customer=world.a, target="ev-a")
    audit.record("test.a2", actor="system", customer=world.a2, target="ev-a2")
    audit.record("test.b", actor=world.users["cb"], customer=world.b, target="ev-b")
    audit.record("test.p2", actor="system", partner=world.p2, target="ev-p2")
    audit.record("test.auditor", actor=world.users["au"], customer=world.a, target="ev-au")
    audit.record("test.platform", actor="system", target="ev-platform")
    mine = {"ev-a", "ev-a2", "ev-b", "ev-p2", "ev-au", "ev-platform"}
    expected = {
        "op": mine,
        "pa": {"ev-a", "ev-a2", "ev-au"},
        "pt": {"ev-a", "ev-a2", "ev-au"},
        "ca": {"ev-a", "ev-au"},
        "au": {"ev-au"},
    }
    for who, targets in expected.items():
        assert _visible(world, who) & mine == targets, who
    assert world.api("eu", "/api/v1/audit").status_code == 403
    # A foreign customer answers 404 (its existence does not leak), also in the dashboard.
    for who in ("pa", "pt", "ca"):
        assert world.api(who, "/api/v1/audit", customer=world.b.id).status_code == 404, who
    assert world.api("ca", "/api/v1/audit", customer=world.a2.id).status_code == 404
    assert world.api("op", "/api/v1/audit", customer=world.b.id).json()[0]["target"] == "ev-b"
    assert sign_in(Client(), world.users["ca"]).get("/audit/", {"customer": world.b.id}).status_code == 404
    assert sign_in(Client(), world.users["eu"]).get("/audit/").status_code == 403
    assert "ev-b" not in sign_in(Client(), world.users["pa"]).get("/audit/").content.decode()
    # Verifying the whole chain: operator and partner admins only.
    for who, status in {"op": 200, "pa": 200, "pt": 403, "ca": 403, "eu": 403, "au": 403}.items():
        assert world.api(who, "/api/v1/audit/verify").status_code == status, who


def test_req07_edited_entry_is_named_by_cli_api_and_dashboard(world, capsys, monkeypatch):
    for i in range(3):
        audit.record("test.event", actor="system", customer=world.a, target=f"t{i}", detail={"n": i})
    assert cli_json(capsys, monkeypatch, "audit", "verify") == {
        "ok": True, "events": AuditEvent.objects.count(), "first_broken": None}
    intact = sign_in(Client(), world.users["op"]).get("/audit/", {"verify": "1"}).content.decode()
    assert "The audit chain is intact" in intact
    bad = sign_in(Client(), world.users["op"]).get("/audit/", {"since": "soon"}).content.decode()
    assert "since must be an ISO date" in bad
    victim = AuditEvent.objects.get(target="t1")
    AuditEvent.objects.filter(seq=victim.seq).update(detail={"n": 99})

    code, out, err = cli_run(capsys, monkeypatch, "audit", "verify", "--json")
    assert code == 1
    assert json.loads(out)["first_broken"] == {"seq": victim.seq, "reason": "event content altered"}
    assert f"audit chain broken at event {victim.seq}" in err
    code, _, err = cli_run(capsys, monkeypatch, "audit", "verify")
    assert code == 1 and f"event {victim.seq}" in err

    body = world.api("op", "/api/v1/audit/verify").json()
    assert body["ok"] is False and body["first_broken"]["seq"] == victim.seq
    page = sign_in(Client(), world.users["op"]).get("/audit/", {"verify": "1"}).content.decode()
    assert f"The audit chain is broken at event {victim.seq}" in page


def test_req07_removed_entries_are_detected(world, capsys, monkeypatch):
    for i in range(4):
        audit.record("test.event", actor="system", customer=world.a, target=f"r{i}")
    newest = AuditEvent.objects.get(target="r3").seq
    AuditEvent.objects.filter(seq=newest).delete()  # the newest: detected through the chain head
    code, out, err = cli_run(capsys, monkeypatch, "audit", "verify", "--json")
    assert code == 1 and json.loads(out)["first_broken"] == {
        "seq": newest, "reason": "events after the last stored one were removed"}

    middle = AuditEvent.objects.get(target="r1").seq
    AuditEvent.objects.filter(seq=middle).delete()
    code, out, err = cli_run(capsys, monkeypatch, "audit", "verify", "--json")
    assert code == 1 and json.loads(out)["first_broken"]["seq"] == middle and f"event {middle}" in err
    assert world.api("pa", "/api/v1/audit/verify").json()["first_broken"]["seq"] == middle


def test_req07_smtp_journaling_drain_records_one_ingest_batch(world, tmp_path):
    journal.configure(world.a, trusted_hosts=["203.0.113.0/24"])
    spool = Spool(tmp_path / "spool")
    for i in range(3):
        raw = (f"From: x{i}@sender.example\r\nTo: ca@a.example\r\nSubject: secret subject {i}\r\n"
               f"Message-ID: <drain-{i}@sender.example>\r\n\r\nconfidential body {i}\r\n").encode()
        spool.put(Envelope(mail_from=f"x{i}@sender.example", rcpt_tos=[journal.address(world.a)],
                           customer=world.a.id, received_at=datetime.now(UTC).isoformat(), peer="203.0.113.9:1",
                           client_ip="203.0.113.9"), raw)
    before = AuditEvent.objects.filter(action="ingest.batch").count()
    assert journal_drain.drain(spool) == 3
    events = list(AuditEvent.objects.filter(action="ingest.batch"))
    assert len(events) == before + 1
    ev = events[-1] if events[-1].seq > events[0].seq else events[0]
    detail = ev.detail
    assert ev.customer_id == world.a.id and detail["source"] == "smtp" and detail["count"] == 3
    assert detail["imported"] == Message.objects.filter(customer=world.a).count() >= 3
    seqs = sorted(Message.objects.filter(customer=world.a).values_list("seq", flat=True))
    assert (detail["seq_from"], detail["seq_to"]) == (seqs[0], seqs[-1])
    assert detail["endpoint"] == journal.endpoint(world.a).local_part
    assert "secret subject" not in json.dumps(detail) and "confidential" not in json.dumps(detail)


@pytest.fixture
def toy():
    kinds.register(toy_source_kind.KIND)
    yield toy_source_kind.KIND
    kinds.unregister("toy")


def test_req07_source_run_records_one_ingest_batch(world, toy, capsys, monkeypatch):
    source = source_service.add(world.a, "toy", {"region": "eu"}, "good-token", actor="cli")
    assert source_service.run(source)["imported"] == 1
    events = list(AuditEvent.objects.filter(action="ingest.batch").order_by("seq"))
    assert len(events) == 1
    msg = Message.objects.get(customer=world.a)
    assert events[0].target == source.id and events[0].customer_id == world.a.id
    assert events[0].detail == {"source": "toy", "endpoint": source.id, "count": 1, "imported": 1, "duplicates": 0,
                                "excluded": 0, "first_id": msg.id, "last_id": msg.id, "seq_from": msg.seq,
                                "seq_to": msg.seq, "excluded_by_rule": {}}
    source.refresh_from_db()
    source_service.run(source)  # nothing new: still one event per run, with count 0
    rows = cli_json(capsys, monkeypatch, "audit", "log", "--action", "ingest.batch", "--customer", world.a.id)
    assert [r["detail"]["count"] for r in rows] == [0, 1]


def test_req07_source_run_failing_part_way_records_what_it_archived(world, toy, monkeypatch):
    def fetch(self, scope, cursor):
        yield Batch(items=[Item(source_id="m1", data=toy_source_kind.MESSAGE, folder="Inbox")], next_cursor={"seen": 1})
        raise ConnectorError("toy: the connection dropped")

    monkeypatch.setattr(toy_source_kind.ToyConnector, "fetch", fetch)
    source = source_service.add(world.a, "toy", {"region": "eu"}, "good-token", actor="cli")
    with pytest.raises(ConnectorError):
        source_service.run(source)
    ev = AuditEvent.objects.get(action="ingest.batch")
    msg = Message.objects.get(customer=world.a)
    assert ev.outcome == "failed" and ev.detail["count"] == 1 and ev.detail["imported"] == 1
    assert ev.detail["first_id"] == msg.id and ev.detail["seq_from"] == msg.seq


@pytest.mark.django_db
def test_req07_nul_characters_from_user_input_are_recorded_and_the_chain_verifies():
    """A search for "\\x00" is audited like any other (PostgreSQL's JSON cannot hold NUL: it becomes
    U+FFFD) and the chain still verifies."""
    ev = audit.record("archive.search", actor="cli", target="q\x00", detail={"query": "\x00", "k\x00": ["a\x00"]})
    stored = AuditEvent.objects.get(seq=ev.seq)
    assert stored.detail == {"query": "\ufffd", "k\ufffd": ["a\ufffd"]} and stored.target == "q\ufffd"
    assert audit.verify_chain().ok
