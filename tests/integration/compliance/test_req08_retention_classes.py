"""Requirement 8: retention classes per customer (6, 8, 10 years, any N, keep forever; tax-relevant)
and rules (mailbox, folder, from address/@domain, query) decide each message's class at ingest;
the message records class, rule and rule version; the rule list counts the messages it covers."""

from __future__ import annotations

from datetime import date

from django.test import Client

from kustos.archive.models import Message
from kustos.audit.models import AuditEvent
from kustos.lifecycle.models import RetentionClass
from tests import factories
from tests.integration.compliance import retention_world
from tests.integration.compliance.retention_world import cli, ingest, mail
from tests.integration.web.session import sign_in

customer = retention_world.customer
D2024 = "Fri, 01 Mar 2024 10:00:00 +0000"


def test_req08_classes_from_the_cli_and_the_suggested_defaults(customer, capsys):
    code, rc = cli(capsys, "retention", "class", "add", "--customer", customer.id, "Verträge", "--years", "30",
                   "--tax-relevant")
    assert code == 0 and rc["years"] == 30 and rc["tax_relevant"] is True
    code, suggested = cli(capsys, "retention", "class", "suggest", "--customer", customer.id)
    assert code == 0
    assert [(c["name"], c["years"]) for c in suggested] == [
        ("Business letters", 6), ("Booking vouchers", 8), ("Books and annual accounts", 10), ("Keep forever", None)]
    code, again = cli(capsys, "retention", "class", "suggest", "--customer", customer.id)
    assert code == 0 and again == []  # one click, once
    code, rows = cli(capsys, "retention", "class", "list", "--customer", customer.id)
    assert len(rows) == 5 and {r["name"] for r in rows if r["keep_forever"]} == {"Keep forever"}
    code, err = cli(capsys, "retention", "class", "add", "--customer", customer.id, "Verträge", "--years", "3")
    assert code == 1 and err == "kustos: error: a retention class named 'Verträge' already exists"
    code, err = cli(capsys, "retention", "class", "add", "--customer", customer.id, "X", "--years", "zehn")
    assert code == 1 and "years must be a whole number or 'forever'" in err
    assert AuditEvent.objects.filter(action="retention.class.add", customer_id=customer.id).count() == 5


def test_req08_rules_classify_at_ingest_and_record_rule_and_version(customer, capsys):
    cli(capsys, "retention", "class", "suggest", "--customer", customer.id)
    code, by_folder = cli(capsys, "retention", "rule", "add", "--customer", customer.id, "--class", "Booking vouchers",
                          "--folder", "Buchhaltung")
    assert code == 0 and by_folder["version"] == 1
    code, by_domain = cli(capsys, "retention", "rule", "add", "--customer", customer.id, "--class", "Keep forever",
                          "--from", "@notar.example")
    assert code == 0
    code, by_box = cli(capsys, "retention", "rule", "add", "--customer", customer.id, "--class",
                       "Business letters", "--mailbox", "info@kunde.example")
    assert code == 0
    vouchers = ingest(customer, [mail(i, D2024, tag="beleg") for i in range(2)], folder="Buchhaltung/2024")
    notar = ingest(customer, [mail(0, D2024, sender="urkunde@notar.example", tag="notar")])
    letters = ingest(customer, [mail(0, D2024, tag="brief")], mailbox="info@kunde.example")
    plain = ingest(customer, [mail(0, D2024, tag="plain")])
    rows = {m.id: m for m in Message.objects.filter(customer=customer)}
    assert {(rows[i].retention_class, rows[i].retention_rule, rows[i].retention_rule_version, rows[i].retention_end)
            for i in vouchers} == {("Booking vouchers", by_folder["id"], 1, date(2032, 12, 31))}
    assert rows[vouchers[0]].retention_year == 2032  # the pack group follows the class
    n = rows[notar[0]]
    assert (n.retention_class, n.retention_end, n.retention_year) == ("Keep forever", None, None)
    assert (rows[letters[0]].retention_class, rows[letters[0]].retention_end) == ("Business letters",
                                                                                  date(2030, 12, 31))
    p = rows[plain[0]]  # unclassified: the longest period
    assert (p.retention_class, p.retention_rule, p.retention_end) == ("", "", date(2034, 12, 31))
    code, listed = cli(capsys, "retention", "rule", "list", "--customer", customer.id)
    assert code == 0
    assert {r["id"]: r["messages"] for r in listed} == {by_folder["id"]: 2, by_domain["id"]: 1, by_box["id"]: 1}
    code, changed = cli(capsys, "retention", "rule", "update", "--customer", customer.id, by_folder["id"],
                        "--folder", "Belege")
    assert code == 0 and changed["version"] == 2 and changed["folder"] == "Belege"


def test_req08_query_rules_are_applied_to_archived_mail(customer, capsys):
    cli(capsys, "retention", "class", "add", "--customer", customer.id, "Verträge", "--years", "30")
    ids = ingest(customer, [mail(0, D2024, tag="vertrag"), mail(1, D2024, tag="sonst")])
    code, rule = cli(capsys, "retention", "rule", "add", "--customer", customer.id, "--class", "Verträge",
                     "--query", "subject:vertrag")
    assert code == 0
    code, applied = cli(capsys, "retention", "apply", "--customer", customer.id)
    assert code == 0 and applied["extended"] == 1 and applied["would_shorten"] == 0
    first, second = Message.objects.get(id=ids[0]), Message.objects.get(id=ids[1])
    assert (first.retention_class, first.retention_rule, first.retention_end) == ("Verträge", rule["id"],
                                                                                  date(2054, 12, 31))
    assert second.retention_end == date(2034, 12, 31) and second.retention_class == ""
    assert RetentionClass.objects.get(customer=customer, name="Verträge").rules.count() == 1


def test_req08_rule_errors_are_one_line(customer, capsys):
    code, err = cli(capsys, "retention", "rule", "add", "--customer", customer.id, "--class", "Nope")
    assert code == 1 and err == "kustos: error: no retention class 'Nope' for this customer"
    cli(capsys, "retention", "class", "add", "--customer", customer.id, "A", "--years", "6")
    code, err = cli(capsys, "retention", "rule", "add", "--customer", customer.id, "--class", "A", "--from", "x")
    assert code == 1 and "--from must be an address or @domain" in err


def test_req08_dashboard_shows_rule_counts_and_switches_a_rule_off_with_a_new_version(customer):
    admin = factories.user("chefin@kunde.example", "customer_admin", customer=customer, totp=True)
    web = sign_in(Client(), admin)
    assert web.post(f"/customers/{customer.id}/retention/", {"action": "suggest"}).status_code == 302
    letters = RetentionClass.objects.get(customer=customer, name="Business letters")
    resp = web.post(f"/customers/{customer.id}/retention/", {"action": "add_rule", "retention_class": letters.id,
                                                             "folder": "Briefe", "priority": "10"})
    assert resp.status_code == 302
    ingest(customer, [mail(i, D2024, tag="brief") for i in range(3)], folder="Briefe")
    page = web.get(f"/customers/{customer.id}/retention/").content.decode()
    assert '<td data-testid="rule-count">3</td>' in page and "Briefe" in page
    rule = letters.rules.get()
    web.post(f"/customers/{customer.id}/retention/", {"action": "toggle_rule", "rule": rule.id})
    rule.refresh_from_db()
    assert (rule.active, rule.version) == (False, 2)
    later = ingest(customer, [mail(9, D2024, tag="spaet")], folder="Briefe")
    assert Message.objects.get(id=later[0]).retention_class == ""  # a switched-off rule classifies nothing
    resp = web.post(f"/customers/{customer.id}/retention/", {"action": "toggle_rule", "rule": "rr_nope"},
                    follow=True)
    assert "no retention rule &#x27;rr_nope&#x27;" in resp.content.decode()
    reader = sign_in(Client(), factories.user("leser@kunde.example", "end_user", customer=customer))
    assert reader.get(f"/customers/{customer.id}/retention/").status_code == 403
