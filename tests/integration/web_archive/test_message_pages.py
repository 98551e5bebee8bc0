"""Message view: headers, sanitised body in its own strictly-confined document, downloads, audit."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import messages
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.web.views.archive_message import BODY_CSP
from tests import factories
from tests.integration.web_archive.conftest import ALICE, make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(filled, client_for):
    return client_for(factories.user("admin@kunde.example", "customer_admin", customer=filled))


def _hostile(customer) -> Message:
    return Message.objects.get(customer=customer, subject="Hostile newsletter")


def test_message_page_shows_headers_record_and_sandboxed_frame(filled, admin):
    msg = _hostile(filled)
    resp = admin.get(f"/archive/messages/{msg.id}/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "phish@evil.example" in html and ALICE in html and "Hostile newsletter" in html
    assert msg.sha256 in html and f"<code data-testid=\"archive-id\">{msg.id}</code>" in html
    assert f"end of {msg.retention_year}" in html and f"<dd>{msg.seq}</dd>" in html
    assert 'data-testid="all-headers"' in html and "<th>Message-ID</th>" in html
    frame = html[html.index("<iframe"):html.index("</iframe>")]
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame and "allow-scripts" not in frame
    assert "allow-same-origin" not in frame
    assert f'src="/archive/messages/{msg.id}/body/"' in frame
    # Remote content is blocked by default and can be loaded on request.
    assert 'data-testid="load-remote"' in html
    # The hostile HTML never appears in the dashboard page itself.
    assert "tracker.example" not in html and "alert(" not in html
    assert "INBOX" in html  # its folder
    assert AuditEvent.objects.filter(action="archive.view", target=msg.id).count() == 1


def test_body_is_sanitised_and_served_with_strict_csp(filled, admin):
    msg = _hostile(filled)
    resp = admin.get(f"/archive/messages/{msg.id}/body/")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert resp["Content-Security-Policy"].startswith("default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'")
    assert resp["Content-Security-Policy"] == BODY_CSP
    assert resp["X-Frame-Options"] == "SAMEORIGIN"
    assert "Quarterly <b>numbers</b>" in body
    assert "<script" not in body.lower() and "alert(" not in body
    assert "tracker.example" not in body and "onclick" not in body
    assert 'href="https://example.org/info"' in body
    remote = admin.get(f"/archive/messages/{msg.id}/body/", {"remote": "1"})
    assert "https://tracker.example/pixel.gif" in remote.content.decode()
    assert "https:" in remote["Content-Security-Policy"] and "<script" not in remote.content.decode().lower()


def test_plain_text_view(filled, admin):
    msg = _hostile(filled)
    html = admin.get(f"/archive/messages/{msg.id}/", {"view": "text"}).content.decode()
    assert 'data-testid="message-text"' in html and "numbers attached" in html and "<iframe" not in html
    plain = Message.objects.get(customer=filled, subject="Angebot 1 Müller")
    html = admin.get(f"/archive/messages/{plain.id}/").content.decode()
    assert "Text 1 quarterly report" in html and "<iframe" not in html  # no HTML part: text shown


def test_original_download_is_byte_exact_and_logged(filled, admin):
    msg = Message.objects.get(customer=filled, subject="Angebot 3 Müller")
    resp = admin.get(f"/archive/messages/{msg.id}/raw/")
    assert resp.status_code == 200 and resp["Content-Type"] == "message/rfc822"
    assert hashlib.sha256(resp.content).hexdigest() == msg.sha256 == resp["X-Content-SHA256"]
    assert f'filename="{msg.id}.eml"' in resp["Content-Disposition"]
    assert AuditEvent.objects.filter(action="archive.download", target=msg.id).count() == 1
    # No converted original (.msg) exists for this message.
    assert admin.get(f"/archive/messages/{msg.id}/original/").status_code == 404


def test_attachment_listed_and_downloaded(filled, admin):
    msg = Message.objects.get(customer=filled, subject="Angebot 3 Müller")
    att = messages.parsed(msg).attachments[0]
    html = admin.get(f"/archive/messages/{msg.id}/").content.decode()
    assert "rechnung-3.txt" in html and f"/archive/messages/{msg.id}/attachments/{att.part_path}/" in html
    resp = admin.get(f"/archive/messages/{msg.id}/attachments/{att.part_path}/")
    assert resp.status_code == 200 and resp.content == b"Rechnung Nummer 3"
    assert resp["Content-Type"] == "application/octet-stream" and resp["X-Content-Type-Options"] == "nosniff"
    assert 'filename="rechnung-3.txt"' in resp["Content-Disposition"]
    assert AuditEvent.objects.filter(action="archive.attachment", target=msg.id).count() == 1
    assert admin.get(f"/archive/messages/{msg.id}/attachments/9.9/").status_code == 404


def test_converted_message_offers_its_original_msg_file(filled, admin):
    fake_msg = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4  # OLE2 signature + payload
    raw = make_mail(700, "outlook@kunde.example", ALICE, "Aus Outlook", "konvertiert", datetime(2024, 1, 2, 9, 0,
                                                                                                  tzinfo=UTC))
    with Ingestor(filled, workers=1).session() as ing:
        ing.ingest([Incoming(raw=raw, mailbox=ALICE, folders=["INBOX"], source="import", original=fake_msg,
                             original_kind="msg")])
    msg = Message.objects.get(customer=filled, subject="Aus Outlook")
    html = admin.get(f"/archive/messages/{msg.id}/").content.decode()
    assert 'data-testid="download-original"' in html and "Original .msg" in html
    resp = admin.get(f"/archive/messages/{msg.id}/original/")
    assert resp.status_code == 200 and resp.content == fake_msg
    assert f'filename="{msg.id}.msg"' in resp["Content-Disposition"]
    assert AuditEvent.objects.filter(action="archive.download_original", target=msg.id).count() == 1
    # The .eml beside it is still the converted RFC 822 message, byte-exact.
    assert hashlib.sha256(admin.get(f"/archive/messages/{msg.id}/raw/").content).hexdigest() == msg.sha256


def test_inline_cid_image_is_embedded_as_data_url(filled, admin):
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "design@kunde.example", ALICE, "Mit Logo"
    mail["Date"] = "Tue, 02 Jan 2024 10:00:00 +0100"
    mail.set_content("Logo anbei")
    mail.add_alternative('<p>Unser Logo: <img src="cid:logo1@kunde" alt="Logo"></p>', subtype="html")
    mail.get_payload()[1].add_related(png, "image", "png", cid="<logo1@kunde>")
    with Ingestor(filled, workers=1).session() as ing:
        ing.ingest([Incoming(raw=mail.as_bytes(), mailbox=ALICE, folders=["INBOX"], source="test")])
    msg = Message.objects.get(customer=filled, subject="Mit Logo")
    body = admin.get(f"/archive/messages/{msg.id}/body/").content.decode()
    assert 'src="data:image/png;base64,' + base64.b64encode(png).decode() + '"' in body
