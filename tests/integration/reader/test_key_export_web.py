"""The key export in the REST API and the dashboard: partner admins get a key file that opens
with the passphrase (and reads the vault with kustos-read); other roles are refused; audited."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from kustos.vault import key_export
from tests import factories
from tests.integration.reader.test_kustos_read import PASSPHRASE, archive, isolated_site, reader_argv, tsa  # noqa: F401 - fixtures
from tests.integration.web.session import sign_in


@pytest.fixture
def people(archive):  # noqa: F811 - fixture
    customer, vault, originals = archive
    admin = factories.user("admin@leser-partner.example", "partner_admin", partner=customer.partner, totp=True)
    tech = factories.user("tech@leser-partner.example", "partner_tech", partner=customer.partner, totp=True)
    cadmin = factories.user("admin@leser-kunde.example", "customer_admin", customer=customer)
    return customer, vault, originals, admin, tech, cadmin


def _api(user, path: str, body: dict):
    _, secret = tokens.create(user, "ci")
    return Client().post(path, json.dumps(body), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_api_key_export_for_partner_admins_only(people, tmp_path):
    customer, vault, originals, admin, tech, cadmin = people
    path = f"/api/v1/customers/{customer.id}/key-export"
    resp = _api(admin, path, {"passphrase": PASSPHRASE})
    assert resp.status_code == 200, resp.content[:300]
    assert resp["Content-Disposition"] == f'attachment; filename="kustos-key-{customer.id}.json"'
    key = key_export.decode(resp.content, PASSPHRASE)
    assert key.enc_key == runtime.store_for(customer.id).key.enc_key
    with pytest.raises(key_export.KeyFileError):
        key_export.decode(resp.content, "another passphrase")
    event = AuditEvent.objects.get(action="customer.key_export", customer_id=customer.id)
    assert event.actor == admin.email and PASSPHRASE not in json.dumps(event.detail)

    # the API's file reads the vault with kustos-read
    (tmp_path / "k.json").write_bytes(resp.content)
    listed = subprocess.run([*reader_argv(isolated_site(tmp_path / "site")), str(vault), "--key", str(tmp_path / "k.json"),
                             "--json", "list"], input=PASSPHRASE + "\n", capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == len(originals)

    short = _api(admin, path, {"passphrase": "kurz"})
    assert short.status_code == 422 and "at least 12 characters" in short.json()["detail"]
    assert _api(tech, path, {"passphrase": PASSPHRASE}).status_code == 403
    assert _api(cadmin, path, {"passphrase": PASSPHRASE}).status_code == 403
    assert AuditEvent.objects.filter(action="customer.key_export").count() == 1


def test_dashboard_key_export(people):
    customer, _vault, _originals, admin, tech, _cadmin = people
    client = sign_in(Client(), admin)
    page = client.get(f"/customers/{customer.id}/")
    assert f"/customers/{customer.id}/key-export/" in page.content.decode()
    form = client.get(f"/customers/{customer.id}/key-export/")
    assert form.status_code == 200 and "kustos-read" in form.content.decode()
    resp = client.post(f"/customers/{customer.id}/key-export/", {"passphrase": PASSPHRASE, "passphrase2": PASSPHRASE})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/json"
    assert key_export.decode(resp.content, PASSPHRASE).key_id == runtime.store_for(customer.id).key.key_id
    differ = client.post(f"/customers/{customer.id}/key-export/", {"passphrase": PASSPHRASE, "passphrase2": "x" * 12},
                         follow=True)
    assert "The passphrases differ." in differ.content.decode()
    assert AuditEvent.objects.filter(action="customer.key_export").count() == 1

    other = sign_in(Client(), tech)
    assert other.get(f"/customers/{customer.id}/key-export/").status_code == 403
    assert f"/customers/{customer.id}/key-export/" not in other.get(f"/customers/{customer.id}/").content.decode()
