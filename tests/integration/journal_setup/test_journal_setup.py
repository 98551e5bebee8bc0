"""`kustos journal setup`, GET /api/v1/customers/{id}/journal/setup and the journaling page: set-up
steps per mail platform filled in with the customer's journaling address and trusted senders, in
English and German, and when the last journal report arrived."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.models import Folder, Mailbox, Message, MessageRef
from kustos.archive.services import journal
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from tests import factories
from tests.integration.web.session import sign_in

TRUSTED = ["40.92.0.0/15", "192.0.2.25/32"]
CMDLETS = {
    "exchange-online": ['Set-TransportConfig -JournalingReportNdrTo "postmaster@your-domain.example"',
                        'New-JournalRule -Name "Kustos archive" -JournalEmailAddress "{a}" -Scope Global -Enabled $true'],
    "exchange-server": ['New-MailContact -Name "Kustos Journal" -ExternalEmailAddress "{a}"',
                        '-AddressSpaces "SMTP:mx.archiv.example;1" -SmartHosts "mx.archiv.example" -Port 2600',
                        'New-JournalRule -Name "Kustos archive" -JournalEmailAddress "{a}" -Scope Global -Enabled $true'],
    "google": ["Apps > Google Workspace > Gmail > Compliance > Content compliance",
               "Add more recipients", "replace recipient with {a}", "Inbound, Outbound"],
    "postfix": ["always_bcc = {a}", "sender_bcc_maps = hash:/etc/postfix/archive_bcc",
                "recipient_bcc_maps = hash:/etc/postfix/archive_bcc", "mx.archiv.example    smtp:[mx.archiv.example]:2600"],
}


@pytest.fixture
def setup(db, settings):
    settings.KUSTOS = replace(settings.KUSTOS, smtp_port=2600, smtp_domain="mx.archiv.example")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    partner = factories.partner("Journal Setup Partner")
    customer = factories.customer(partner, "Journal Setup Kunde")
    journal.configure(customer, trusted_hosts=TRUSTED)
    admin = factories.user("pa@setup.example", "partner_admin", partner=partner, totp=True)
    return customer, admin


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = registry.run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _journal_delivery(customer, when: datetime) -> None:
    """A journal report archived under the journaling mailbox, as the SMTP drain files it."""
    box = Mailbox.objects.create(customer=customer, address=journal.address(customer).lower())
    folder = Folder.objects.create(mailbox=box, path="Journal reports")
    msg = Message.objects.create(customer=customer, seq=1, sha256="ab" * 32, vault_id="v1", size=10)
    ref = MessageRef.objects.create(message=msg, mailbox=box, folder=folder, source="smtp", source_ref="spool-1")
    MessageRef.objects.filter(pk=ref.pk).update(added_at=when)


@pytest.mark.parametrize("platform", list(CMDLETS))
def test_cli_prints_steps_with_address_trusted_senders_and_cmdlets(setup, capsys, platform):
    customer, _ = setup
    address = journal.address(customer)
    code, out, err = _cli(capsys, "journal", "setup", "--customer", customer.id, "--platform", platform)
    assert code == 0, err
    assert address in out and "40.92.0.0/15, 192.0.2.25/32" in out
    for line in CMDLETS[platform]:
        assert line.format(a=address) in out, line
    assert "Last journal report: none yet" in out
    code, out, err = _cli(capsys, "journal", "setup", "--customer", customer.id, "--platform", platform, "--json")
    shown = json.loads(out)
    assert (shown["platform"], shown["lang"], shown["address"], shown["trusted_hosts"]) == (
        platform, "en", address, TRUSTED)
    assert shown["last_report_at"] is None
    assert AuditEvent.objects.filter(action="journal.setup", customer_id=customer.id, target=platform).count() == 2


def test_cli_german_and_bad_input(setup, capsys):
    customer, _ = setup
    address = journal.address(customer)
    code, out, err = _cli(capsys, "journal", "setup", "--customer", customer.id, "--platform", "exchange-online",
                          "--lang", "de")
    assert code == 0, err
    assert "Legen Sie die Journalregel für alle Nachrichten aller Benutzer an:" in out
    assert f'-JournalEmailAddress "{address}" -Scope Global -Enabled $true' in out
    assert "Letzter Journalbericht: noch keine" in out
    assert "Create the journal rule" not in out
    code, out, err = _cli(capsys, "journal", "setup", "--customer", customer.id, "--platform", "postfix",
                          "--lang", "de")
    assert "Erzeugen Sie die Maps und laden Sie Postfix neu:" in out and f"always_bcc = {address}" in out
    with pytest.raises(SystemExit) as exc:
        registry.run(["journal", "setup", "--customer", customer.id, "--platform", "lotus-notes"])
    assert exc.value.code != 0
    assert "invalid choice: 'lotus-notes'" in capsys.readouterr().err


def test_cli_untrusted_customer_is_told_to_trust(setup, capsys):
    customer, _ = setup
    journal.configure(customer, trusted_hosts=[])
    code, out, _err = _cli(capsys, "journal", "setup", "--customer", customer.id, "--platform", "exchange-online")
    assert code == 0 and "No trusted journal report senders are configured in Kustos yet" in out
    assert "spf.protection.outlook.com" in out


def test_api_returns_the_same_steps_and_last_report(setup, capsys):
    customer, admin = setup
    _, secret = tokens.create(admin, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = f"/api/v1/customers/{customer.id}/journal/setup"
    api = Client()
    got = api.get(url, {"platform": "google", "lang": "de"}, **auth)
    assert got.status_code == 200, got.content
    body = got.json()
    _code, out, _err = _cli(capsys, "journal", "setup", "--customer", customer.id, "--platform", "google",
                            "--lang", "de", "--json")
    assert body == json.loads(out)
    asked = AuditEvent.objects.filter(action="journal.setup", customer_id=customer.id, target="google")
    assert sorted(e.actor for e in asked) == sorted([admin.email, "cli"])  # the API request is audited too
    assert body["last_report_at"] is None and journal.address(customer) in json.dumps(body)
    assert any("Weitere Empfänger hinzufügen" in s["text"] for s in body["steps"])
    assert api.get(url, {"platform": "lotus-notes"}, **auth).status_code == 422
    when = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    _journal_delivery(customer, when)
    later = api.get(url, {"platform": "exchange-online"}, **auth).json()
    assert datetime.fromisoformat(later["last_report_at"]) == when
    assert [s["code"] for s in later["steps"] if "New-JournalRule" in s["code"]] == [
        f'New-JournalRule -Name "Kustos archive" -JournalEmailAddress "{journal.address(customer)}" '
        "-Scope Global -Enabled $true"]


def test_page_renders_steps_and_last_report(setup):
    customer, admin = setup
    address = journal.address(customer)
    client = sign_in(Client(), admin)
    page = client.get(f"/customers/{customer.id}/journal/?platform=postfix")
    assert page.status_code == 200
    html = page.content.decode()
    steps = html[html.index('data-testid="journal-setup-steps"'):]
    assert f"always_bcc = {address}" in steps and "40.92.0.0/15, 192.0.2.25/32" in steps
    assert 'data-testid="journal-last-report">Last journal report: none yet<' in html
    _journal_delivery(customer, datetime(2026, 11, 30, 8, 15, tzinfo=UTC))
    html = client.get(f"/customers/{customer.id}/journal/").content.decode()
    last = html[html.index('data-testid="journal-last-report"'):][:200]
    assert "none yet" not in last and "2026" in last
    assert "-JournalEmailAddress &quot;" + address in html[html.index('data-testid="journal-setup-steps"'):]
    de = sign_in(Client(), admin)
    de.cookies["django_language"] = "de"
    german = de.get(f"/customers/{customer.id}/journal/?platform=exchange-server").content.decode()
    assert "Einrichtungsschritte für Ihre Mail-Plattform" in german and "Letzter Journalbericht" in german
    assert "Leiten Sie die Journaling-Domain mit einem Sendeconnector direkt zu Kustos:" in german
    # the page only displays the steps: no audit event per view (the CLI and API requests are audited)
    assert not AuditEvent.objects.filter(action="journal.setup", customer_id=customer.id).exists()
