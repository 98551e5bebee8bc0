"""One archived message as a PDF for people: the header summary, the body as the sanitised viewer
shows it (``message_render``: HTML through ``kustos.mail.sanitize_html``, read as text) and the
attachments listed by name, type and size. Pure Python (fpdf2), no network, no external program.

Callers check access and the self-service ``download`` switch (``messages.get_for_download``) and
audit the download; this module only renders.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from kustos.archive.models import Message
from kustos.archive.services import message_render
from kustos.archive.services.search import Scope

#: DejaVu (Debian's fonts-dejavu-core, installed by the project's setup) covers far more than Latin-1;
#: without it the PDF falls back to Helvetica and replaces characters Latin-1 cannot hold.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
MAX_BODY_CHARS = 500_000


def _font(pdf: FPDF) -> tuple[str, bool]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", True
    return "Helvetica", False


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def _clean(text: str, unicode_font: bool) -> str:
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).replace("\t", "    ")
    if unicode_font:
        # DejaVu has no glyphs beyond the Basic Multilingual Plane (emoji): show a replacement mark
        return "".join(ch if ord(ch) < 0x10000 else "\ufffd" for ch in text)
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(message: Message, scope: Scope, *, title: str = "Archived message") -> bytes:
    """The PDF bytes of ``message`` as ``scope`` (the reader's visibility) may see it."""
    view = message_render.render(message, scope)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_clean(view.subject or title, False))
    pdf.set_creator("Kustos")
    family, unicode_font = _font(pdf)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(family, "B", 14)
    pdf.multi_cell(width, 7, _clean(view.subject or "(no subject)", unicode_font), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, value in view.headers:
        pdf.set_font(family, "B", 9)
        pdf.cell(28, 5, _clean(label + ":", unicode_font))
        pdf.set_font(family, "", 9)
        pdf.multi_cell(width - 28, 5, _clean(value, unicode_font), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 8)
    pdf.multi_cell(width, 5, _clean(f"Archive id {message.id} · SHA-256 {message.sha256}", unicode_font),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)
    pdf.set_font(family, "", 10)
    body = view.text[:MAX_BODY_CHARS]
    pdf.multi_cell(width, 5, _clean(body, unicode_font) or " ", new_x="LMARGIN", new_y="NEXT")
    if view.attachments:
        pdf.ln(4)
        pdf.set_font(family, "B", 10)
        pdf.cell(width, 6, _clean(f"Attachments ({len(view.attachments)})", unicode_font), new_x="LMARGIN",
                 new_y="NEXT")
        pdf.set_font(family, "", 9)
        for att in view.attachments:
            line = f"• {att['name']} ({att['content_type']}, {_size(int(att['size'] or 0))})"
            pdf.multi_cell(width, 5, _clean(line, unicode_font), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
