"""Journaling endpoint configuration through API, dashboard and CLI, and the journaling page
showing the SMTP host and port really configured (also `kustos serve --smtp-port`)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.models import JournalEndpoint
from tests import factories
from tests.integration.web.session import sign_in
from tests.servers.tls import free_port


@pytest.fixture
def setup(db, settings):
    settings.KUSTOS = replace(settings.KUSTOS, smtp_port=2600, smtp_domain="mx.archiv.example")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    partner = factories.partner("Journal Config Partner")
    customer = factories.customer(partner, "Journal Config Kunde")
    admin = factories.user("pa@partner.example", "partner_admin", partner=partner, totp=True)
    return customer, admin


def test_api_shows_configured_host_and_port_and_sets_trust(setup):
    customer, admin = setup
    _, secret = tokens.create(admin, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    api = Client()
    url = f"/api/v1/customers/{customer.id}/journal"
    shown = api.get(url, **auth).json()
    assert shown["address"].endswith("@mx.archiv.example")
    assert (shown["host"], shown["port"]) == ("mx.archiv.example", 2600)
    assert (shown["allowed_hosts"], shown["trusted_hosts"], shown["trust_authenticated"]) == ([], [], True)
    changed = api.patch(url, {"allowed_hosts": ["192.0.2.7", "10.1.2.3/8"], "trusted_hosts": ["2001:db8::/32"],
                              "trust_authenticated": False}, content_type="application/json", **auth)
    assert changed.status_code == 200, changed.content
    assert changed.json()["allowed_hosts"] == ["192.0.2.7/32", "10.0.0.0/8"]
    ep = JournalEndpoint.objects.get(customer=customer)
    assert (ep.allowed_hosts, ep.trusted_hosts, ep.trust_authenticated) == (
        ["192.0.2.7/32", "10.0.0.0/8"], ["2001:db8::/32"], False)
    bad = api.patch(url, {"trusted_hosts": ["40.92.0.0/15", "microsoft"]}, content_type="application/json", **auth)
    assert bad.status_code in (400, 422)
    assert "not an IP address or network (CIDR): 'microsoft'" in bad.content.decode()
    assert JournalEndpoint.objects.get(customer=customer).trusted_hosts == ["2001:db8::/32"]  # unchanged


def test_journaling_page_shows_configured_port_and_saves_trust(setup):
    customer, admin = setup
    client = sign_in(Client(), admin)
    page = client.get(f"/customers/{customer.id}/journal/").content.decode()
    assert 'data-testid="journal-port">2600<' in page and "2525" not in page
    assert "smtp:[mx.archiv.example]:2600" in page and "-Port 2600" in page
    assert "spf.protection.outlook.com" in page  # where Exchange Online sends from: to be trusted
    saved = client.post(f"/customers/{customer.id}/journal/",
                        {"allowed_hosts": "192.0.2.0/24\n198.51.100.7", "trusted_hosts": "40.92.0.0/15, 40.107.0.0/16",
                         "trust_authenticated": ""})
    assert saved.status_code == 302
    ep = JournalEndpoint.objects.get(customer=customer)
    assert ep.allowed_hosts == ["192.0.2.0/24", "198.51.100.7/32"]
    assert ep.trusted_hosts == ["40.92.0.0/15", "40.107.0.0/16"] and ep.trust_authenticated is False
    bad = client.post(f"/customers/{customer.id}/journal/", {"trusted_hosts": "exchange.example"})
    assert bad.status_code == 400 and "not an IP address or network (CIDR): &#x27;exchange.example&#x27;" in (
        bad.content.decode())
    end_user = factories.user("eu@kunde.example", "end_user", customer=customer)
    assert sign_in(Client(), end_user).post(f"/customers/{customer.id}/journal/", {}).status_code == 403


def run_cli(env: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_cli_journal_configure(cli_env):
    cust = json.loads(run_cli(cli_env, "customer", "create", "--partner",
                              json.loads(run_cli(cli_env, "partner", "create", "P", "--json").stdout)["id"],
                              "K", "--json").stdout)["id"]
    out = run_cli(cli_env, "journal", "configure", "--customer", cust, "--allow", "192.0.2.0/24",
                  "--trust", "40.92.0.0/15", "40.107.0.0/16", "--no-trust-authenticated", "--json")
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["allowed_hosts"] == ["192.0.2.0/24"] and shown["trusted_hosts"] == ["40.92.0.0/15", "40.107.0.0/16"]
    assert shown["trust_authenticated"] is False and shown["port"] == 2525
    cleared = json.loads(run_cli(cli_env, "journal", "configure", "--customer", cust, "--allow", "--json").stdout)
    assert cleared["allowed_hosts"] == [] and cleared["trusted_hosts"] == ["40.92.0.0/15", "40.107.0.0/16"]
    bad = run_cli(cli_env, "journal", "configure", "--customer", cust, "--trust", "10.0.0.300", "--json")
    assert bad.returncode != 0 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "kustos: error: trusted hosts: not an IP address or network (CIDR): '10.0.0.300'"]


SETUP_SCRIPT = """
import json, django
django.setup()
from tests import factories
from kustos.accounts.services import tokens
partner = factories.partner("Serve Partner")
customer = factories.customer(partner, "Serve Kunde")
admin = factories.user("serve-admin@partner.example", "partner_admin", partner=partner)
print(json.dumps({"customer": customer.id, "secret": tokens.create(admin, "t")[1]}))
"""


def test_serve_smtp_port_is_what_the_journaling_api_shows(cli_env):
    assert run_cli(cli_env, "migrate").returncode == 0
    env = {**cli_env, "DJANGO_SETTINGS_MODULE": "kustos.django_settings"}
    made = subprocess.run([sys.executable, "-c", SETUP_SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    ids = json.loads(made.stdout.strip().splitlines()[-1])
    port, smtp_port = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "serve", "--port", str(port), "--smtp-port",
                             str(smtp_port)], env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if "SMTP journaling receiver" in (proc.stdout.readline() or ""):
                break
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/customers/{ids['customer']}/journal",
                                         headers={"Authorization": f"Bearer {ids['secret']}"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            shown = json.loads(resp.read())
        assert shown["port"] == smtp_port != 2525
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
