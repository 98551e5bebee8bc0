"""Office Open XML: DOCX (python-docx), XLSX (openpyxl, read-only), PPTX (python-pptx)."""

from __future__ import annotations

import io

import docx
import openpyxl
from pptx import Presentation

from .registry import Context, Extracted, ExtractionError

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_container(data: bytes) -> None:
    """Password-protected OOXML files are OLE containers, not ZIPs: say so."""
    if data.startswith(_OLE_MAGIC):
        raise ExtractionError("encrypted Office document (password protected)")


class DocxExtractor:
    name = "docx"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        _check_container(data)
        document = docx.Document(io.BytesIO(data))
        out = [p.text for p in document.paragraphs]
        for table in document.tables:
            ctx.budget.check()
            for row in table.rows:
                out.append("\t".join(cell.text for cell in row.cells))
        for section in document.sections:
            for part in (section.header, section.footer):
                out.extend(p.text for p in part.paragraphs)
        return Extracted(text="\n".join(t for t in out if t))


class XlsxExtractor:
    name = "xlsx"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        _check_container(data)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        out: list[str] = []
        size = 0
        limit = ctx.limits.max_attachment_chars
        try:
            for sheet in book.worksheets:
                out.append(sheet.title)
                for row in sheet.iter_rows(values_only=True):
                    ctx.budget.check()
                    line = "\t".join("" if v is None else str(v) for v in row).rstrip("\t")
                    if line:
                        out.append(line)
                        size += len(line)
                    if size >= limit:
                        return Extracted(text="\n".join(out))
        finally:
            book.close()
        return Extracted(text="\n".join(out))


class PptxExtractor:
    name = "pptx"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        _check_container(data)
        deck = Presentation(io.BytesIO(data))
        out: list[str] = []
        for slide in deck.slides:
            ctx.budget.check()
            for shape in slide.shapes:
                if shape.has_text_frame:
                    out.append(shape.text_frame.text)
                if getattr(shape, "has_table", False) and shape.has_table:
                    for row in shape.table.rows:
                        out.append("\t".join(cell.text for cell in row.cells))
            if slide.has_notes_slide:
                notes = slide.notes_slide.notes_text_frame
                if notes is not None:
                    out.append(notes.text)
        return Extracted(text="\n".join(t for t in out if t))
