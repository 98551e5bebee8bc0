"""The cleanup through the REST API and the dashboard (source page and customer page, English and German),
against a real Dovecot."""

from __future__ import annotations

import json

import pytest
from django.template.defaultfilters import filesizeformat
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.services import sources as service
from kustos.core import runtime
from tests import factories
from tests.integration.mailbox_cleanup.helpers import deliver, imap_config, mail, server_files
from tests.integration.web.session import sign_in

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]


def _archived_source(dovecot, customer, user: str, count: int) -> tuple:
    dovecot.add_user(user, f"{user}-pw-1")
    raws = [mail(i, user) for i in range(count)]
    for raw in raws:
        deliver(dovecot, user, "INBOX", raw, age_days=45)
    source = service.add(customer, "imap", imap_config(dovecot, user), f"{user}-pw-1")
    assert service.run(source)["imported"] == count
    runtime.store_for(customer.id).ledger.seal(force=True)
    return source, raws


def test_api_cleanup(dovecot, archive_customer):
    source, raws = _archived_source(dovecot, archive_customer, "dana", 3)
    admin = factories.user("pa@partner.example", "partner_admin", partner=archive_customer.partner, totp=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(admin, 't')[1]}"}
    url = f"/api/v1/sources/{source.id}/cleanup"
    api = Client()

    def post(body: dict):
        return api.post(url, json.dumps(body), content_type="application/json", **auth)

    refused = post({})
    assert refused.status_code == 422 and "no cleanup rule" in refused.json()["detail"]
    assert post({"older_than_days": -1}).status_code == 422
    before = server_files(dovecot, "dana", "INBOX")
    dry = post({"older_than_days": 30, "dry_run": True})
    assert dry.status_code == 200, dry.content
    assert (dry.json()["deleted"], dry.json()["kept"], dry.json()["dry_run"]) == (3, 0, True)
    assert server_files(dovecot, "dana", "INBOX") == before
    other_folder = post({"older_than_days": 30, "folders": ["Projekt"]})
    assert (other_folder.json()["deleted"], other_folder.json()["kept"]) == (0, 0)
    young = post({"older_than_days": 60})
    assert (young.json()["deleted"], young.json()["kept"]) == (0, 0)
    done = post({"older_than_days": 30})
    assert done.status_code == 200
    assert (done.json()["deleted"], done.json()["freed_bytes"]) == (3, sum(len(r) for r in raws))
    assert server_files(dovecot, "dana", "INBOX") == {}


def test_dashboard_cleanup_and_the_space_freed_on_the_customer_page(dovecot, archive_customer):
    source, raws = _archived_source(dovecot, archive_customer, "emil", 2)
    admin = factories.user("ca@kunde.example", "customer_admin", customer=archive_customer, totp=True)
    web = sign_in(Client(), admin)
    base = f"/customers/{archive_customer.id}/sources/"
    listing = web.get(base).content.decode()
    assert f'{base}{source.id}/cleanup/' in listing
    form = web.get(f"{base}{source.id}/edit/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    for name in ("cleanup_older_than_days", "cleanup_folders", "cleanup_action"):  # the rule on the source form
        assert f'name="{name}"' in form
    assert "Postfach aufräumen: E-Mails älter als (Tage)" in form
    page = web.get(f"{base}{source.id}/cleanup/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Postfach jetzt aufräumen" in page and "Diese Quelle hat keine Aufräumregel" in page
    missing = web.post(f"{base}{source.id}/cleanup/", {"older_than_days": ""})
    assert missing.status_code == 400 and "no cleanup rule" in missing.content.decode()

    dry = web.post(f"{base}{source.id}/cleanup/", {"older_than_days": "30", "dry_run": "1"}).content.decode()
    assert 'data-testid="cleanup-deleted">2<' in dry and "Dry run: nothing was changed" in dry
    assert len(server_files(dovecot, "emil", "INBOX")) == 2
    done = web.post(f"{base}{source.id}/cleanup/", {"older_than_days": "30"}).content.decode()
    assert 'data-testid="cleanup-deleted">2<' in done and "Cleanup done" in done
    assert server_files(dovecot, "emil", "INBOX") == {}

    freed = filesizeformat(sum(len(r) for r in raws))
    customer_page = web.get(f"/customers/{archive_customer.id}/").content.decode()
    assert f"Mailbox space freed by cleanup: {freed}" in customer_page
    german = web.get(f"/customers/{archive_customer.id}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Durch Aufräumen freigegebener Postfachspeicher" in german
