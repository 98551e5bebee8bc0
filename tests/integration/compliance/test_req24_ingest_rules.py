"""Requirement 24: ingest rules by sender, recipient, header, size, folder and query exclude
mail from the archive (counted, never silently dropped) or archive it with a short retention.

A generated mbox with spam, newsletters and normal mail is imported with `kustos import`; the
rules created with `kustos ingest-rule add` decide what is archived, the import result and the
audit event count the excluded mail per rule, the rules' counters grow, and short-retained
mail carries its class's retention end.
"""

from __future__ import annotations

import json
import mailbox
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.audit import ingest as audit_ingest
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.core import runtime
from kustos.lifecycle.models import IngestRule
from kustos.lifecycle.services import classes, ingest_rules
from tests import factories
from tests.integration.web.session import sign_in


def mail(subject: str, *, sender: str = "kollege@partner.example", to: str = "anna@kunde.example",
         headers: dict[str, str] | None = None, body: str = "Guten Tag") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0100"
    msg["Message-ID"] = f"<{abs(hash((subject, sender)))}@test.example>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


@pytest.fixture
def customer(db, tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield factories.customer(factories.partner("Regel Partner"), "Regel Kunde")
    runtime.reset()


def cli(capsys, *argv: str) -> tuple[int, object, str]:
    capsys.readouterr()
    code = registry.run([*argv, "--json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def write_mbox(path: Path, messages: list[EmailMessage]) -> Path:
    box = mailbox.mbox(str(path))
    for m in messages:
        box.add(m)
    box.flush()
    box.close()
    return path


def test_req24_import_excludes_spam_and_newsletters_short_retains_and_counts(customer, capsys, tmp_path):
    classes.add(customer, "Kurz", 1, actor="test")
    code, spam, _ = cli(capsys, "ingest-rule", "add", "--customer", customer.id, "--name", "Spam", "--field",
                        "header", "--header", "X-Spam-Flag", "--pattern", "YES")
    assert code == 0 and spam["action"] == "exclude" and spam["matched"] == 0
    code, news, _ = cli(capsys, "ingest-rule", "add", "--customer", customer.id, "--name", "Newsletter",
                        "--field", "header", "--header", "List-Unsubscribe", "--pattern", "*")
    assert code == 0
    code, short, _ = cli(capsys, "ingest-rule", "add", "--customer", customer.id, "--name", "Shop kurz",
                         "--field", "sender", "--pattern", "@shop.example", "--action", "short-retain",
                         "--class", "Kurz")
    assert code == 0 and short["action"] == "short-retain" and short["class"] == "Kurz"

    normal = [mail(f"Rechnung {i}") for i in range(3)]
    spam_mail = [mail(f"Gewinn {i}", sender="x@spam.example", headers={"X-Spam-Flag": "YES"}) for i in range(2)]
    newsletters = [mail(f"News {i}", sender="news@verlag.example",
                        headers={"List-Unsubscribe": "<mailto:off@verlag.example>"}) for i in range(2)]
    shop = [mail("Bestellung 1", sender="order@shop.example")]
    box = write_mbox(tmp_path / "inbox.mbox", normal + spam_mail + newsletters + shop)

    code, result, _ = cli(capsys, "import", "--customer", customer.id, "--mailbox", "anna@kunde.example", str(box))
    assert code == 0
    assert result["imported"] == 4 and result["excluded"] == 4
    assert result["excluded_by_rule"] == {spam["id"]: 2, news["id"]: 2}

    subjects = set(Message.objects.filter(customer=customer).values_list("subject", flat=True))
    assert subjects == {"Rechnung 0", "Rechnung 1", "Rechnung 2", "Bestellung 1"}
    shop_msg = Message.objects.get(customer=customer, subject="Bestellung 1")
    assert shop_msg.retention_end == date(2027, 12, 31) and shop_msg.retention_year == 2027
    normal_msg = Message.objects.get(customer=customer, subject="Rechnung 0")
    assert normal_msg.retention_end != date(2027, 12, 31)

    counters = {r.name: r.matched for r in IngestRule.objects.filter(customer=customer)}
    assert counters == {"Spam": 2, "Newsletter": 2, "Shop kurz": 1}
    event = AuditEvent.objects.filter(action="archive.import", customer_id=customer.id).latest("seq")
    assert event.detail["excluded"] == 4 and event.detail["excluded_by_rule"] == {spam["id"]: 2, news["id"]: 2}

    code, rows, _ = cli(capsys, "ingest-rule", "list", "--customer", customer.id)
    assert code == 0 and [(r["name"], r["matched"]) for r in rows] == [("Spam", 2), ("Newsletter", 2),
                                                                        ("Shop kurz", 1)]
    # excluded mail is searchable nowhere
    code, found, _ = cli(capsys, "search", "--customer", customer.id, "Gewinn")
    assert code == 0 and found["total"] == 0

    code, removed, _ = cli(capsys, "ingest-rule", "remove", "--customer", customer.id, spam["id"])
    assert code == 0 and removed == {"id": spam["id"], "removed": True}
    assert AuditEvent.objects.filter(action="ingest_rule.remove", target=spam["id"]).count() == 1


def run(customer, items: list[Incoming]):
    with Ingestor(customer, workers=1, batch_size=50).session() as ing:
        return ing.ingest(items)


def incoming(msg: EmailMessage, *, folders: tuple[str, ...] = ("INBOX",), envelope_to: tuple[str, ...] = ()):
    return Incoming(raw=msg.as_bytes(), mailbox="anna@kunde.example", folders=list(folders), source="smtp",
                    envelope_to=list(envelope_to))


def test_req24_sender_recipient_size_folder_and_query_rules(customer):
    add = lambda name, field, pattern, **kw: ingest_rules.add(customer, name=name, field=field,  # noqa: E731
                                                                pattern=pattern, actor="test", **kw)
    r_sender = add("Werbung", "sender", "*@werbung.example")
    r_rcpt = add("Privat-Adresse", "recipient", "privat@kunde.example")
    r_size = add("Riesig", "size", "20k")
    r_folder = add("Privat-Ordner", "folder", "Privat*")
    r_query = add("Gewinnspiel", "query", 'subject:gewinnspiel OR body:"sie haben gewonnen"')
    items = [
        incoming(mail("Angebot", sender="promo@werbung.example")),
        incoming(mail("Hallo", to="team@kunde.example"), envelope_to=("privat@kunde.example",)),
        incoming(mail("Großer Anhang", body="x" * 30000)),
        incoming(mail("Urlaub"), folders=("Privat/Urlaub",)),
        incoming(mail("Info", body="Sie haben gewonnen!")),
        incoming(mail("Das Gewinnspiel")),
        incoming(mail("Vertrag")),
        incoming(mail("Privatsache im Betreff")),  # the folder rule looks at folders only
    ]
    result = run(customer, items)
    assert result.imported == 2 and result.excluded == 6
    assert result.excluded_by == {r_sender.id: 1, r_rcpt.id: 1, r_size.id: 1, r_folder.id: 1, r_query.id: 2}
    assert set(Message.objects.filter(customer=customer).values_list("subject", flat=True)) == {
        "Vertrag", "Privatsache im Betreff"}
    # the SMTP drain's batch event names the rules (the receiver had answered 250 already)
    audit_ingest.record_batch(customer, source="smtp", endpoint="journal", count=len(items), result=result)
    event = AuditEvent.objects.filter(action="ingest.batch", customer_id=customer.id).latest("seq")
    assert event.detail["excluded"] == 6 and event.detail["excluded_by_rule"][r_query.id] == 2


def test_req24_bad_rules_are_refused_with_a_clear_error(customer, capsys):
    base = ("ingest-rule", "add", "--customer", customer.id, "--name", "X")
    code, _, err = cli(capsys, *base, "--field", "size", "--pattern", "groß")
    assert code == 1 and "size rule needs a number of bytes" in err
    code, _, err = cli(capsys, *base, "--field", "query", "--pattern", "subject:(a OR")
    assert code == 1 and "the query cannot be used" in err
    code, _, err = cli(capsys, *base, "--field", "header", "--pattern", "yes")
    assert code == 1 and "needs a header name" in err
    code, _, err = cli(capsys, *base, "--field", "sender", "--pattern", "@a.example", "--action", "short-retain")
    assert code == 1 and "needs a retention class" in err
    code, _, err = cli(capsys, *base, "--field", "sender", "--pattern", "@a.example", "--action", "short-retain",
                       "--class", "Nope")
    assert code == 1 and "no retention class 'Nope'" in err
    assert IngestRule.objects.filter(customer=customer).count() == 0


def test_req24_api_lists_adds_and_removes(customer):
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(admin, 'test')[1]}"}
    client = Client()
    url = f"/api/v1/customers/{customer.id}/ingest-rules"
    resp = client.post(url, {"name": "Spam", "field": "header", "header": "X-Spam-Flag", "pattern": "yes"},
                       content_type="application/json", **auth)
    assert resp.status_code == 201, resp.content
    rule = resp.json()
    resp = client.post(url, {"name": "Kaputt", "field": "size", "pattern": "viel"},
                       content_type="application/json", **auth)
    assert resp.status_code == 422 and "size rule needs a number of bytes" in resp.content.decode()
    listed = client.get(url, **auth).json()
    assert [r["id"] for r in listed["rules"]] == [rule["id"]]
    assert [p["name"] for p in listed["presets"]] == ["Spam (X-Spam-Flag)", "Newsletters (List-Unsubscribe)",
                                                       "Private folder"]
    assert client.delete(f"{url}/{rule['id']}", **auth).status_code == 200
    assert IngestRule.objects.filter(customer=customer).count() == 0


def test_req24_dashboard_page_lists_counters_offers_presets_adds_and_removes(customer):
    admin = factories.user("chefin@kunde.example", "customer_admin", customer=customer)
    tech_partner = customer.partner
    tech = factories.user("tech@partner.example", "partner_tech", partner=tech_partner, totp=True)
    client = sign_in(Client(), admin)
    url = f"/customers/{customer.id}/ingest-rules/"
    page = client.get(url + "?preset=newsletters").content.decode()
    assert 'value="List-Unsubscribe"' in page and 'value="Newsletters (List-Unsubscribe)"' in page
    assert "Spam (X-Spam-Flag)" in page and "Private folder" in page
    resp = client.post(url, {"name": "Newsletter", "field": "header", "header": "List-Unsubscribe",
                              "pattern": "*", "action": "exclude"})
    assert resp.status_code == 302
    rule = IngestRule.objects.get(customer=customer)
    run(customer, [incoming(mail("News", headers={"List-Unsubscribe": "<mailto:x@y.example>"}))])
    page = client.get(url).content.decode()
    assert "Newsletter" in page and '<td data-testid="ingest-rule-matched">1</td>' in page
    bad = client.post(url, {"name": "Kaputt", "field": "size", "pattern": "viel"}, follow=True).content.decode()
    assert "size rule needs a number of bytes" in bad
    # partner technicians read the rules but change nothing
    tech_client = sign_in(Client(), tech)
    assert tech_client.get(url).status_code == 200
    assert tech_client.post(f"{url}{rule.id}/remove/").status_code == 403
    assert client.post(f"{url}{rule.id}/remove/").status_code == 302
    assert IngestRule.objects.filter(customer=customer).count() == 0


def test_req24_page_in_german(customer):
    admin = factories.user("chef@kunde.example", "customer_admin", customer=customer)
    client = sign_in(Client(), admin)
    client.post("/account/language/", {"language": "de"})
    page = client.get(f"/customers/{customer.id}/ingest-rules/").content.decode()
    assert "Eingangsregeln" in page and "Keine Eingangsregeln" in page and "Privater Ordner" in page
