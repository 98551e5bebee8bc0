"""kustos.ocr without Django: format sniffing, which attachments are candidates, and the engine's
limits (pixels before decoding, pages, memory, time), on generated scans of known text."""

from __future__ import annotations

import io
import shutil

import pytest
from fpdf import FPDF
from PIL import Image

from kustos.config import ConfigError, load_settings
from kustos.mail.model import Attachment
from kustos.ocr.candidates import is_candidate
from kustos.ocr.engine import recognise
from kustos.ocr.limits import OcrLimits
from kustos.ocr.sniff import sniff
from tests.integration.ocr.scans import image_bytes, oversize_png, rendered

requires_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None or shutil.which("pdftoppm") is None,
    reason="tesseract-ocr / poppler-utils not installed (scripts/apt-packages.txt)")


def test_sniff_by_magic_bytes_not_names():
    assert sniff(image_bytes(["x"], "PNG")) == "png"
    assert sniff(image_bytes(["x"], "JPEG")) == "jpeg"
    assert sniff(image_bytes(["x"], "TIFF")) == "tiff"
    assert sniff(image_bytes(["x"], "GIF")) == "gif"
    assert sniff(b"\r\n" + image_bytes(["x"], "PDF")) == "pdf"  # bytes before the header are allowed
    assert sniff(b"PK\x03\x04 a zip") == "" and sniff(b"") == ""


@pytest.mark.parametrize(("attachment", "expected"), [
    (Attachment("scan.png", "image/png", 5000, "2"), True),
    (Attachment("scan.bin", "application/octet-stream", 5000, "2"), True),
    (Attachment("rechnung.pdf", "application/pdf", 5000, "2", text="  \n 1 \n"), True),
    (Attachment("rechnung.pdf", "application/pdf", 5000, "2", text="Rechnung Nummer 4711 über 100 Euro"), False),
    (Attachment("logo.png", "image/png", 900, "1.2", content_id="<logo@x>", inline=True), False),
    (Attachment("notes.txt", "text/plain", 50, "2"), False),
    (Attachment("Scan.JPG", "", 5000, "2"), True),
    (Attachment("empty.png", "image/png", 0, "2"), False),
])
def test_candidates_from_the_parse_result(attachment, expected):
    assert is_candidate(attachment) is expected


def test_ocr_setting_is_validated():
    assert load_settings({"KUSTOS_HOME": "/tmp/x", "KUSTOS_OCR": "OFF"}).ocr_enabled is False
    assert load_settings({"KUSTOS_HOME": "/tmp/x", "KUSTOS_OCR": "on"}).ocr_enabled is True
    settings = load_settings({"KUSTOS_HOME": "/tmp/x", "KUSTOS_OCR_TIMEOUT": "7", "KUSTOS_OCR_MAX_PAGES": "3"})
    assert (settings.ocr, settings.ocr_timeout, settings.ocr_max_pages, settings.ocr_languages) == ("auto", 7, 3, "deu+eng")
    with pytest.raises(ConfigError, match="KUSTOS_OCR must be on, off or auto"):
        load_settings({"KUSTOS_HOME": "/tmp/x", "KUSTOS_OCR": "maybe"})


def test_not_an_image_and_tiny_images_are_skipped():
    assert (recognise(b"just text", OcrLimits()).status, recognise(b"just text", OcrLimits()).reason) == (
        "skipped", "not an image or PDF")
    buf = io.BytesIO()
    Image.new("L", (10, 10), 255).save(buf, format="PNG")
    assert recognise(buf.getvalue(), OcrLimits()).reason == "image too small to hold text"


def test_huge_image_is_refused_from_its_header():
    out = recognise(oversize_png(9000), OcrLimits(max_pixels=50_000_000))
    assert (out.status, out.reason) == ("failed", "image too large: 9000x9000 pixels (limit 50000000)")


@requires_tesseract
def test_multipage_pdf_recognised_up_to_the_page_limit():
    pages = [rendered([f"Seite {word}"]).convert("RGB") for word in ("Apfelbaum", "Birnbaum", "Kirschbaum")]
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=150)
    out = recognise(buf.getvalue(), OcrLimits(max_pages=2))
    assert out.status == "done" and out.pages == 2
    assert "Apfelbaum" in out.text and "Birnbaum" in out.text and "Kirschbaum" not in out.text
    assert out.reason == "first 2 of 3 pages recognised"


@requires_tesseract
def test_text_pdf_without_scans_yields_its_rendered_text():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=28)
    pdf.cell(0, 20, "Lieferschein Nummer 815")
    out = recognise(bytes(pdf.output()), OcrLimits())
    assert out.status == "done" and "Lieferschein" in out.text


@requires_tesseract
def test_multiframe_tiff_frames_are_pages():
    frames = [rendered([word]) for word in ("Montag", "Dienstag")]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    out = recognise(buf.getvalue(), OcrLimits())
    assert out.pages == 2 and "Montag" in out.text and "Dienstag" in out.text


@requires_tesseract
def test_memory_and_time_limits_stop_the_process():
    scan = image_bytes(["Speicherlimit"])
    starved = recognise(scan, OcrLimits(memory_mb=40))
    assert (starved.status, starved.reason) == ("failed", "tesseract ran out of memory (limit 40 MB)")
    assert starved.text == ""
    late = recognise(scan, OcrLimits(timeout=0.01))
    assert (late.status, late.reason) == ("failed", "tesseract timed out after 0.01s")
