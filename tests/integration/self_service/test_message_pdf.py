"""A message as PDF (dashboard, API, CLI): subject, sender, body words and the attachment names are in
the PDF's text, the HTML's script is not; downloads are audited; others' mail stays 404."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from kustos.audit.models import AuditEvent
from kustos.cli import registry
from tests.integration.self_service.conftest import World

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_api_and_dashboard_pdf_have_headers_body_and_attachments(world: World):
    c = world.client("end_user")
    resp = c.get(f"/api/v1/messages/{world.rechnung.id}/pdf", **world.api("end_user"))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert f'filename="{world.rechnung.id}.pdf"' in resp["Content-Disposition"]
    text = _text(resp.content)
    assert "Quartalsrechnung Müller März" in text
    assert "joerg@lieferant.example" in text and "Jörg Lieferant" in text
    assert "Zitronenfalter" in text
    assert "rechnung-417.pdf" in text
    assert "pwned" not in text and "tracker.example" not in text
    assert world.rechnung.sha256 in text.replace("\n", "")
    page = c.get(f"/archive/messages/{world.rechnung.id}/pdf/")
    assert page.status_code == 200 and "Zitronenfalter" in _text(page.content)
    assert AuditEvent.objects.filter(action="archive.download_pdf", target=world.rechnung.id,
                                     actor="anna@kunde.example").count() == 2
    # The message page offers the PDF.
    view = c.get(f"/archive/messages/{world.rechnung.id}/").content.decode()
    assert f"/archive/messages/{world.rechnung.id}/pdf/" in view
    # Another mailbox's message: 404 like a message that does not exist.
    assert c.get(f"/api/v1/messages/{world.other.id}/pdf", **world.api("end_user")).status_code == 404
    assert c.get("/api/v1/messages/ms_doesnotexist/pdf", **world.api("end_user")).status_code == 404


def test_cli_message_pdf(world: World, tmp_path, capsys):
    out = tmp_path / "notiz.pdf"
    assert registry.run(["message", "pdf", world.notiz.id, "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bytes"] == out.stat().st_size > 0
    text = _text(out.read_bytes())
    assert "Notiz 1 Kolibri" in text and "absender1@example.org" in text and "Kurze Notiz 1" in text
    assert AuditEvent.objects.filter(action="archive.download_pdf", actor="cli", target=world.notiz.id).exists()
    assert registry.run(["message", "pdf", "ms_nope", "-o", str(tmp_path / "x.pdf"), "--json"]) == 1
    assert "no message with id 'ms_nope'" in capsys.readouterr().err
    assert registry.run(["message", "pdf", world.notiz.id, "-o", str(tmp_path), "--json"]) == 1
    assert "is a directory" in capsys.readouterr().err
