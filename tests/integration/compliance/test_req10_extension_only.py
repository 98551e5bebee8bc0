"""Requirement 10: retention only grows. Applying rules extends ends; a rule that would shorten
them is reported ("would shorten N") and changes nothing; only the explicit, audited
`kustos retention migrate --shorten --reason` shortens. The pack group never changes."""

from __future__ import annotations

from datetime import date

from kustos.archive.models import Message
from kustos.audit.models import AuditEvent
from tests.integration.compliance import retention_world
from tests.integration.compliance.retention_world import cli, ingest, mail

customer = retention_world.customer
D2020 = "Wed, 01 Jul 2020 10:00:00 +0000"


def test_req10_apply_extends_never_shortens(customer, capsys):
    ids = ingest(customer, [mail(i, D2020, tag="x") for i in range(3)])
    assert set(Message.objects.filter(id__in=ids).values_list("retention_end", flat=True)) == {date(2030, 12, 31)}
    cli(capsys, "retention", "class", "add", "--customer", customer.id, "Kurz", "--years", "6")
    code, rule = cli(capsys, "retention", "rule", "add", "--customer", customer.id, "--class", "Kurz")
    assert code == 0
    code, applied = cli(capsys, "retention", "apply", "--customer", customer.id)
    assert code == 0 and applied == {"extended": 0, "restamped": 0, "would_shorten": 3}
    assert set(Message.objects.filter(id__in=ids).values_list("retention_end", flat=True)) == {date(2030, 12, 31)}
    # a longer class extends
    cli(capsys, "retention", "class", "add", "--customer", customer.id, "Lang", "--years", "12")
    code, _ = cli(capsys, "retention", "rule", "update", "--customer", customer.id, rule["id"], "--class", "Lang")
    assert code == 0
    code, applied = cli(capsys, "retention", "apply", "--customer", customer.id)
    assert code == 0 and applied["extended"] == 3 and applied["would_shorten"] == 0
    rows = list(Message.objects.filter(id__in=ids))
    assert {(m.retention_end, m.retention_class, m.retention_rule_version, m.retention_year) for m in rows} == {
        (date(2032, 12, 31), "Lang", 2, 2030)}  # the pack group stays 2030
    # back to 6 years: reported, not done, also by the retention run
    cli(capsys, "retention", "rule", "update", "--customer", customer.id, rule["id"], "--class", "Kurz")
    code, run = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2031-06-01")
    assert code == 0 and run["applied"]["would_shorten"] == 3 and run["proposed"] == 0
    assert set(Message.objects.filter(id__in=ids).values_list("retention_end", flat=True)) == {date(2032, 12, 31)}


def test_req10_migrate_shortens_only_explicitly_and_is_audited(customer, capsys):
    ids = ingest(customer, [mail(i, D2020, tag="y") for i in range(2)])
    cli(capsys, "retention", "class", "add", "--customer", customer.id, "Kurz", "--years", "6")
    cli(capsys, "retention", "rule", "add", "--customer", customer.id, "--class", "Kurz")
    code, err = cli(capsys, "retention", "migrate", "--customer", customer.id, "--shorten", "--reason", "x")
    assert code == 1 and "--reason TEXT" in err
    code, out = cli(capsys, "retention", "migrate", "--customer", customer.id, "--shorten", "--reason",
                    "Beschluss der Geschäftsführung vom 1.3.")
    assert code == 0 and out["shortened"] == 2
    rows = list(Message.objects.filter(id__in=ids))
    assert {(m.retention_end, m.retention_year) for m in rows} == {(date(2026, 12, 31), 2030)}
    event = AuditEvent.objects.get(action="retention.migrate", customer_id=customer.id)
    assert event.detail["reason"] == "Beschluss der Geschäftsführung vom 1.3." and event.detail["shortened"] == 2
    assert sorted(event.detail["messages"]) == sorted(ids)
