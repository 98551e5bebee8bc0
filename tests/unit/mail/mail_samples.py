"""Builders for small, real attachment files and MIME messages used by the mail tests.

Every document is produced by the format's own library (python-docx, openpyxl,
python-pptx, odfpy, zipfile) so the extractors see genuine files; the PDF is written
by hand (no PDF writer with text support is installed) with a correct xref table.
"""

from __future__ import annotations

import io
import zipfile
from email import encoders, message_from_bytes
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP

import docx
import openpyxl
from odf import table, text
from odf.draw import Frame, Page, TextBox
from odf.opendocument import OpenDocumentPresentation, OpenDocumentSpreadsheet, OpenDocumentText
from odf.style import MasterPage, PageLayout
from pptx import Presentation


def make_docx(paragraph: str, cell: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(paragraph)
    grid = document.add_table(rows=1, cols=2)
    grid.cell(0, 0).text = cell
    grid.cell(0, 1).text = "second cell"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(value: str, number: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Budget"
    sheet["A1"] = value
    sheet["B2"] = number
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_pptx(title: str, body: str) -> bytes:
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = title
    slide.placeholders[1].text = body
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def make_odt(heading: str, paragraph: str) -> bytes:
    document = OpenDocumentText()
    document.text.addElement(text.H(outlinelevel=1, text=heading))
    document.text.addElement(text.P(text=paragraph))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def make_ods(cell: str) -> bytes:
    document = OpenDocumentSpreadsheet()
    sheet = table.Table(name="Sheet1")
    row = table.TableRow()
    entry = table.TableCell()
    entry.addElement(text.P(text=cell))
    row.addElement(entry)
    sheet.addElement(row)
    document.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def make_odp(line: str) -> bytes:
    document = OpenDocumentPresentation()
    layout = PageLayout(name="PL")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    page = Page(masterpagename=master)
    frame = Frame(width="10cm", height="2cm", x="1cm", y="1cm")
    box = TextBox()
    box.addElement(text.P(text=line))
    frame.addElement(box)
    page.addElement(frame)
    document.presentation.addElement(page)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid PDF 1.4 with one page showing ``lines`` in Helvetica."""
    ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


RTF = rb"{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}\f0\fs20 Quarterly {\b report} caf\'e9\par Second line\par}"


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def message_with(attachments: list[tuple[str, str, bytes]], body: str = "Body text") -> bytes:
    """A multipart/mixed message: a text body plus (filename, mime type, data) parts."""
    msg = MIMEMultipart()
    msg["From"] = "Alice Example <alice@example.org>"
    msg["To"] = "bob@example.net"
    msg["Subject"] = "Attachments"
    msg["Date"] = "Mon, 01 Jul 2024 10:00:00 +0200"
    msg["Message-ID"] = "<att-1@example.org>"
    msg.attach(MIMEText(body, "plain", "utf-8"))
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/", 1)
        part = MIMEApplication(data, subtype) if maintype == "application" else MIMEBase(maintype, subtype)
        if maintype != "application":
            part.set_payload(data)
            encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        msg.attach(part)
    return msg.as_bytes(policy=SMTP)


def forward_of(inner: bytes, note: str = "See below") -> bytes:
    """A message carrying ``inner`` as a message/rfc822 attachment."""
    msg = MIMEMultipart()
    msg["From"] = "carol@example.com"
    msg["Subject"] = "Fwd: inner"
    msg.attach(MIMEText(note, "plain", "utf-8"))
    msg.attach(MIMEMessage(message_from_bytes(inner)))
    return msg.as_bytes(policy=SMTP)
