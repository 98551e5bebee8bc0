"""Stored source secrets cannot be redirected, sources cannot reach into the server's network,
and CA certificates are uploaded PEM, never a server path (service, API and dashboard)."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fakecloud.google.keys import make_service_account
from kustos.accounts.services import tokens
from kustos.archive.models import Source
from kustos.archive.services import sources as service
from kustos.core.secrets import open_secret
from kustos.sources.egress import EgressRefused
from tests import factories
from tests.integration.web.session import sign_in
from tests.servers.tls import make_self_signed

pytestmark = pytest.mark.django_db

IMAP = {"host": "127.0.0.1", "port": 9, "security": "none", "username": "anna@kunde.example"}


@pytest.fixture
def egress_off(archive_customer, settings):
    """The installation default: no loopback, private or link-local destinations."""
    settings.KUSTOS = replace(settings.KUSTOS, sources_allowed_networks=(), sources_allow_private_networks=False)
    return archive_customer


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    sock.settimeout(0.3)
    yield sock
    sock.close()


def accepted(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except (TimeoutError, OSError):
            return count
        conn.close()
        count += 1


def pem(tmp_path: Path, name: str = "ca.kunde.example") -> str:
    return make_self_signed(tmp_path / name, name=name).cert.read_text()


def stored(source: Source) -> tuple[dict, str]:
    source.refresh_from_db()
    return source.config, open_secret(source.secret, source.id)


# --- 1. changing where a secret goes needs the secret ---------------------------------------------

def test_changing_the_destination_of_a_mailbox_password_needs_the_password(archive_customer, tmp_path):
    source = service.add(archive_customer, "imap", IMAP, "pw-1")
    before = stored(source)
    with pytest.raises(ValidationError) as exc:
        service.update(source, {"host": "127.0.0.2"})
    assert exc.value.messages == ["changing the host requires the password to be entered again"]
    for change, label in (({"port": 10}, "port"), ({"security": "tls"}, "security mode"),
                          ({"username": "other@kunde.example"}, "username"), ({"tls_verify": False}, "TLS verification"),
                          ({"ca_pem": pem(tmp_path)}, "CA certificate"),
                          ({"host": "127.0.0.2", "port": 993}, "host and port")):
        with pytest.raises(ValidationError, match=f"^.*changing the {label} requires the password to be entered again"):
            service.update(Source.objects.get(id=source.id), change, secret="")
        assert stored(source) == before  # nothing was saved
    service.update(source, {"include": ["INBOX"], "mailbox": "anna@kunde.example", "delete_after_days": 30,
                            "port": 9}, interval_minutes=30, paused=True)  # not where the secret goes
    assert stored(source)[1] == "pw-1" and stored(source)[0]["include"] == ["INBOX"]
    service.update(source, {"host": "127.0.0.2", "port": 993, "security": "tls"}, secret="pw-2")
    config, secret = stored(source)
    assert (config["host"], config["port"], config["security"], secret) == ("127.0.0.2", 993, "tls", "pw-2")


def test_default_port_spelled_out_is_no_change(archive_customer):
    source = service.add(archive_customer, "pop3", {**IMAP, "port": None, "security": "tls"}, "pw-1")
    service.update(source, {"port": 995})  # the port the source already used
    assert stored(source)[0]["port"] == 995


def test_tenant_sources_need_their_secret_for_new_endpoints(archive_customer):
    graph = service.add(archive_customer, "graph", {"tenant_id": "t-1", "client_id": "c-1",
                                                    "endpoint": "http://127.0.0.1:9"}, "client-secret-1")
    for change, label in (({"endpoint": "http://127.0.0.2:9"}, "endpoint"),
                          ({"login_endpoint": "http://127.0.0.2:9"}, "login endpoint"),
                          ({"tenant_id": "t-2"}, "tenant id")):
        with pytest.raises(ValidationError, match=f"changing the {label} requires the client secret to be entered"):
            service.update(graph, change)
    service.update(graph, {"client_id": "c-2"})  # same tenant and hosts: the secret stays where it was
    service.update(graph, {"endpoint": "http://127.0.0.2:9"}, secret="client-secret-2")
    assert stored(graph) == ({"tenant_id": "t-1", "client_id": "c-2", "endpoint": "http://127.0.0.2:9"},
                             "client-secret-2")
    info, _ = make_service_account("http://127.0.0.1:9")
    gmail = service.add(archive_customer, "gmail", {"admin_email": "admin@kunde.example",
                                                    "endpoint": "http://127.0.0.1:9"}, json.dumps(info))
    with pytest.raises(ValidationError, match="changing the endpoint requires the service-account key to be entered"):
        service.update(gmail, {"endpoint": "http://127.0.0.2:9"})
    with pytest.raises(ValidationError, match="endpoint must be an http"):
        service.update(gmail, {"endpoint": "file:///etc/passwd"}, secret=json.dumps(info))


def test_api_patch_of_the_host_without_the_secret_is_refused(archive_customer):
    admin = factories.user("pa@partner.example", "partner_admin", partner=archive_customer.partner, totp=True)
    _, token = tokens.create(admin, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    source = service.add(archive_customer, "imap", IMAP, "pw-1")
    api = Client()
    url = f"/api/v1/sources/{source.id}"
    refused = api.patch(url, {"config": {"host": "127.0.0.2"}}, content_type="application/json", **auth)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "changing the host requires the password to be entered again"
    assert stored(source) == ({**IMAP, "mailbox": "anna@kunde.example"}, "pw-1")
    ok = api.patch(url, {"config": {"host": "127.0.0.2"}, "secret": "pw-2"}, content_type="application/json", **auth)
    assert ok.status_code == 200 and ok.json()["config"]["host"] == "127.0.0.2"
    assert stored(source)[1] == "pw-2"


def test_dashboard_edit_of_the_host_without_the_password_is_refused(archive_customer):
    user = factories.user("admin@kunde.example", "customer_admin", customer=archive_customer)
    admin = sign_in(Client(), user)
    source = service.add(archive_customer, "imap", IMAP, "pw-1")
    url = f"/customers/{archive_customer.id}/sources/{source.id}/edit/"
    form = {"host": "127.0.0.2", "port": "9", "security": "none", "username": IMAP["username"], "password": "",
            "interval_minutes": "15"}
    resp = admin.post(url, form)
    assert resp.status_code == 400
    assert "changing the host requires the password to be entered again" in resp.content.decode()
    assert stored(source)[0]["host"] == "127.0.0.1"
    assert admin.post(url, {**form, "password": "pw-2"}).status_code == 302
    assert stored(source)[0]["host"] == "127.0.0.2" and stored(source)[1] == "pw-2"


# --- 2. egress: save-time and connect-time refusals (allowance off) --------------------------------

@pytest.mark.parametrize(("kind", "config", "rule"), [
    ("imap", {**IMAP, "host": "127.0.0.1"}, "loopback"),
    ("imap", {**IMAP, "host": "localhost"}, "loopback"),
    ("pop3", {**IMAP, "host": "::1"}, "loopback"),
    ("imap", {**IMAP, "host": "169.254.169.254", "port": 80}, "link-local"),
    ("pop3", {**IMAP, "host": "10.0.0.1"}, "private"),
    ("imap", {**IMAP, "host": "::ffff:192.168.1.1"}, "private"),
    ("graph", {"tenant_id": "t", "client_id": "c", "endpoint": "http://10.0.0.1:8080"}, "private"),
    ("graph", {"tenant_id": "t", "client_id": "c", "login_endpoint": "http://169.254.169.254/"}, "link-local"),
    ("gmail", {"admin_email": "a@kunde.example", "endpoint": "http://localhost:6379"}, "loopback"),
])
def test_save_refuses_destinations_in_the_servers_network(egress_off, kind, config, rule):
    with pytest.raises(ValidationError, match=f"{rule} addresses are blocked for sources"):
        service.add(egress_off, kind, config, "secret")
    assert Source.objects.count() == 0


def test_gmail_token_uri_in_the_key_is_checked_on_save(egress_off):
    info, _ = make_service_account("http://169.254.169.254")
    with pytest.raises(ValidationError, match="169.254.169.254:80 refused: link-local"):
        service.add(egress_off, "gmail", {"admin_email": "a@kunde.example"}, json.dumps(info))


def test_api_add_into_the_metadata_service_is_refused(egress_off):
    admin = factories.user("pa@partner.example", "partner_admin", partner=egress_off.partner, totp=True)
    _, token = tokens.create(admin, "t")
    resp = Client().post(f"/api/v1/customers/{egress_off.id}/sources",
                         {"kind": "imap", "config": {**IMAP, "host": "169.254.169.254"}, "secret": "pw"},
                         content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 422
    assert "169.254.169.254:9 refused: link-local addresses are blocked" in resp.json()["detail"]


def test_connect_time_check_refuses_a_stored_loopback_source(archive_customer, settings, listener):
    """Saved while loopback was allowed; the operator then withdraws it: no connection is made."""
    port = listener.getsockname()[1]
    source = service.add(archive_customer, "imap", {**IMAP, "port": port}, "pw-1")
    graph = service.add(archive_customer, "graph", {"tenant_id": "t", "client_id": "c",
                                                    "endpoint": f"http://localhost:{port}"}, "client-secret")
    settings.KUSTOS = replace(settings.KUSTOS, sources_allowed_networks=())
    result = service.test(source)
    assert result["ok"] is False
    assert result["error"].startswith(f"connection to 127.0.0.1:{port} refused: loopback addresses are blocked")
    assert service.test(graph)["error"].startswith(f"connection to localhost:{port} (")
    with pytest.raises(EgressRefused):
        service.run(source)
    source.refresh_from_db()
    assert "loopback addresses are blocked" in source.last_error and source.consecutive_failures == 1
    assert accepted(listener) == 0


def test_private_networks_allowance_does_not_open_loopback(archive_customer, settings, listener):
    port = listener.getsockname()[1]
    settings.KUSTOS = replace(settings.KUSTOS, sources_allowed_networks=(), sources_allow_private_networks=True)
    service.add(archive_customer, "imap", {**IMAP, "host": "10.20.30.40"}, "pw")  # allowed now
    with pytest.raises(ValidationError, match="loopback addresses are blocked"):
        service.add(archive_customer, "imap", {**IMAP, "port": port}, "pw")
    assert accepted(listener) == 0


# --- 3. CA material is uploaded PEM -----------------------------------------------------------------

def test_ca_file_paths_are_refused_with_one_text_whether_or_not_they_exist(archive_customer):
    errors = set()
    for path in ("/etc/passwd", "/does/not/exist.pem", "/etc/ssl/certs/ca-certificates.crt"):
        with pytest.raises(ValidationError) as exc:
            service.add(archive_customer, "imap", {**IMAP, "ca_file": path}, "pw")
        errors.add(" ".join(exc.value.messages))
    assert errors == {"ca_file (a path on the server) is not accepted; upload the CA certificate as PEM text (ca_pem)"}


@pytest.mark.parametrize(("text", "error"), [
    ("hello", "the CA certificate is not PEM text (expected -----BEGIN CERTIFICATE-----)"),
    ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
     "the CA certificate is not a valid PEM certificate"),
    ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
     "the CA certificate may contain only CERTIFICATE blocks, not PRIVATE KEY"),
])
def test_bad_pem_gives_one_clear_error(archive_customer, text, error):
    with pytest.raises(ValidationError) as exc:
        service.add(archive_customer, "imap", {**IMAP, "ca_pem": text}, "pw")
    assert len(exc.value.messages) == 1 and exc.value.messages[0].startswith(error)


def test_pem_is_stored_canonical_and_legacy_paths_are_dropped(archive_customer, tmp_path):
    text = pem(tmp_path)
    source = service.add(archive_customer, "imap", {**IMAP, "ca_pem": "Issuer: our CA\r\n" + text.replace("\n", "\r\n")},
                         "pw")
    assert stored(source)[0]["ca_pem"] == text
    Source.objects.filter(id=source.id).update(config={**source.config, "ca_file": "/etc/passwd"})
    source.refresh_from_db()
    service.update(source, {"include": ["INBOX"]})
    assert "ca_file" not in stored(source)[0]


def test_dashboard_uploads_the_ca_certificate(archive_customer, tmp_path):
    user = factories.user("admin@kunde.example", "customer_admin", customer=archive_customer)
    admin = sign_in(Client(), user)
    text = pem(tmp_path)
    form = {"kind": "imap", "host": "127.0.0.1", "port": "9", "security": "tls", "username": "anna@kunde.example",
            "password": "pw", "interval_minutes": "15"}
    base = f"/customers/{archive_customer.id}/sources/new/"
    resp = admin.post(base, {**form, "ca_upload": SimpleUploadedFile("ca.pem", b"garbage")})
    assert resp.status_code == 400
    assert "the CA certificate is not PEM text" in resp.content.decode()
    resp = admin.post(base, {**form, "ca_upload": SimpleUploadedFile("ca.pem", text.encode())})
    assert resp.status_code == 302
    source = Source.objects.get(customer=archive_customer)
    assert source.config["ca_pem"] == text
    edit = f"/customers/{archive_customer.id}/sources/{source.id}/edit/"
    page = admin.get(edit).content.decode()
    assert "BEGIN CERTIFICATE" in page and 'name="ca_upload"' in page
    assert "can only be reached when the operator allows them" in page
    admin.cookies.load({"django_language": "de"})
    german = admin.get(edit, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "CA-Zertifikat (PEM-Datei)" in german and "nur erreichbar, wenn der Betreiber sie freigibt" in german
    resp = admin.post(edit, {**form, "password": "", "ca_pem": text})  # unchanged CA: no password needed
    assert resp.status_code == 302
    resp = admin.post(edit, {**form, "password": "", "ca_pem": ""})  # removing the CA moves the trust
    assert resp.status_code == 400 and "changing the CA certificate requires the password" in resp.content.decode()


@pytest.mark.dovecot
def test_uploaded_ca_verifies_dovecot_by_name(dovecot, archive_customer):
    dovecot.add_user("lena", "lena-pw-1")
    config = {"host": "localhost", "port": dovecot.imaps_port, "security": "tls", "username": "lena"}
    untrusted = service.add(archive_customer, "imap", config, "lena-pw-1")
    result = service.test(untrusted)
    assert result["ok"] is False and "certificate" in result["error"].lower()
    trusted = service.add(archive_customer, "imap", {**config, "ca_pem": dovecot.certs.cert.read_text()}, "lena-pw-1")
    assert service.test(trusted) == {"ok": True, "error": None}
    pop3 = service.add(archive_customer, "pop3", {**config, "port": dovecot.pop3s_port,
                                                   "ca_pem": dovecot.certs.cert.read_text()}, "lena-pw-1")
    assert service.test(pop3) == {"ok": True, "error": None}


def test_new_gmail_key_with_a_token_uri_in_the_servers_network_is_refused(archive_customer, settings):
    info, _ = make_service_account("http://127.0.0.1:9")
    gmail = service.add(archive_customer, "gmail", {"admin_email": "admin@kunde.example"}, json.dumps(info))
    settings.KUSTOS = replace(settings.KUSTOS, sources_allowed_networks=())
    evil, _ = make_service_account("http://169.254.169.254")
    with pytest.raises(ValidationError, match="169.254.169.254:80 refused: link-local"):
        service.update(gmail, secret=json.dumps(evil))
    assert json.loads(stored(gmail)[1])["token_uri"] == "http://127.0.0.1:9/token"
