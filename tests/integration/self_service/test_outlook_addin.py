"""The Outlook add-in as served by Kustos: the manifest (MailApp, ReadWriteMailbox, a task pane in message
read mode, every URL on the installation's configured address) validates against the manifest schema;
the task pane page loads Office.js from Microsoft's official address and nothing else from outside, may be
framed by Outlook, and is in English and German; the message view API gives the sanitised body."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.test import Client
from lxml import etree

from kustos.archive.services import sources as source_service
from kustos.tenants.services import self_service
from kustos.web.views import outlook
from tests.integration.self_service.conftest import ANNA, World

SCHEMA = Path(__file__).parent / "schema" / "mail-addin-manifest.xsd"
NS = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1",
      "v": "http://schemas.microsoft.com/office/mailappversionoverrides",
      "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
BASE = "https://archiv.systemhaus.example"


@pytest.fixture
def base_url(settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "base_url": BASE + "/"})
    return BASE


def _manifest(client: Client) -> bytes:
    resp = client.get("/outlook/manifest.xml")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/xml")
    return resp.content


def test_manifest_uses_the_configured_address_and_validates(db, base_url):
    data = _manifest(Client())
    doc = etree.fromstring(data)
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(doc), schema.error_log
    assert doc.get(f"{{{NS['xsi']}}}type") == "MailApp"
    assert doc.findtext("o:Permissions", namespaces=NS) == "ReadWriteMailbox"
    assert doc.find("o:FormSettings/o:Form", NS).get(f"{{{NS['xsi']}}}type") == "ItemRead"
    assert doc.find("o:FormSettings/o:Form/o:DesktopSettings/o:SourceLocation", NS).get("DefaultValue") == (
        BASE + "/outlook/taskpane/")
    assert doc.find(".//v:ExtensionPoint", NS).get(f"{{{NS['xsi']}}}type") == "MessageReadCommandSurface"
    assert doc.find(".//v:Action", NS).get(f"{{{NS['xsi']}}}type") == "ShowTaskpane"
    urls = [e.get("DefaultValue") for e in doc.iter() if e.get("DefaultValue", "").startswith("http")]
    assert urls and all(u.startswith(BASE + "/") for u in urls)
    assert doc.findtext("o:Id", namespaces=NS) == outlook.addin_id(BASE)
    assert outlook.addin_id(BASE) != outlook.addin_id("https://other.example")
    # Every icon the manifest names is served.
    client = Client()
    for url in urls:
        if url.endswith(".png"):
            assert client.get(url.removeprefix(BASE)).status_code == 200, url


def test_schema_rejects_a_broken_manifest(db, base_url):
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    good = _manifest(Client())
    for broken in (good.replace(b"ReadWriteMailbox", b"FullAccess"),
                   good.replace(b'xsi:type="ItemRead"', b'xsi:type="ItemCompose"'),
                   good.replace(b"<ProviderName>Kustos</ProviderName>", b""),
                   good.replace(b'size="80"', b'size="81"')):
        assert not schema.validate(etree.fromstring(broken))


@pytest.mark.skipif(not os.environ.get("KUSTOS_OFFICE_XSD_DIR"),
                    reason="Microsoft's manifest XSD files are in no package registry the setup can reach; "
                           "set KUSTOS_OFFICE_XSD_DIR to a directory holding them to run this check too")
def test_manifest_validates_against_microsofts_schema(db, base_url):
    xsd = Path(os.environ["KUSTOS_OFFICE_XSD_DIR"]) / "OfficeAppManifestV1_1.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(etree.fromstring(_manifest(Client()))), schema.error_log


def test_taskpane_page_english_german_and_frameable(db, base_url):
    resp = Client().get("/outlook/taskpane/", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert '<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>' in page
    scripts = [s for s in page.split("<script")[1:]]
    assert len(scripts) == 2 and "/static/kustos/outlook/taskpane.js" in scripts[1]
    assert "Restore to my mailbox" in page and "API token" in page
    assert "X-Frame-Options" not in resp
    csp = resp["Content-Security-Policy"]
    assert "script-src 'self' https://appsforoffice.microsoft.com;" in csp
    assert "connect-src 'self'" in csp and "https://*.office.com" in csp
    german = Client().get("/outlook/taskpane/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "In mein Postfach wiederherstellen" in german and 'lang="de"' in german
    assert Client().get("/static/kustos/outlook/taskpane.js").status_code == 200


def test_message_view_api_is_sanitised_and_scoped(world: World):
    c = world.client("end_user")
    resp = c.get(f"/api/v1/messages/{world.rechnung.id}/view", **world.api("end_user"))
    assert resp.status_code == 200
    view = resp.json()
    assert view["subject"] == "Quartalsrechnung Müller März"
    assert ["From", "Jörg Lieferant <joerg@lieferant.example>"] in view["headers"]
    assert "Zitronenfalter" in view["html"] and "<script" not in view["html"]
    assert "tracker.example" not in view["html"]
    assert [a["name"] for a in view["attachments"]] == ["rechnung-417.pdf"]
    assert c.get(f"/api/v1/messages/{world.other.id}/view", **world.api("end_user")).status_code == 404


def test_the_restore_request_the_pane_sends_is_taken_by_the_restore_api(world: World):
    """The body the task pane posts (tests/e2e/test_outlook_addin_browser.py checks it is this one) starts a
    restore job; with self-service restore off the end user is refused with the reason."""
    source_service.add(world.customer, "imap", {"host": "127.0.0.1", "port": 9, "security": "none",
                                                "username": ANNA}, secret="x")
    c = world.client("end_user")
    body = json.dumps({"message_ids": [world.rechnung.id], "to_mailbox": ANNA})
    url = f"/api/v1/customers/{world.customer.id}/archive/restore"
    resp = c.post(url, data=body, content_type="application/json", **world.api("end_user"))
    assert resp.status_code == 202, resp.content
    assert resp.json()["kind"] == "archive.restore" and resp.json()["id"].startswith("jb_")
    self_service.update(world.customer, {"restore": False}, actor="test")
    refused = c.post(url, data=body, content_type="application/json", **world.api("end_user"))
    assert refused.status_code == 403 and b"self-service restore" in refused.content
