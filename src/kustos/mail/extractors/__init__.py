"""Attachment text extractors and the default registry that maps formats to them."""

from __future__ import annotations

from .message import MessageExtractor
from .odf import OdfExtractor
from .office import DocxExtractor, PptxExtractor, XlsxExtractor
from .ole import LegacyOfficeExtractor
from .outlook import MsgExtractor
from .pdf import PdfExtractor
from .registry import Context, Extracted, ExtractionError, Extractor, Registry
from .rtf import RtfExtractor
from .smime import SmimeExtractor
from .text import HtmlExtractor, TextExtractor, XmlExtractor
from .tnef import TnefExtractor
from .zip import ZipExtractor

__all__ = ["Context", "Extracted", "ExtractionError", "Extractor", "Registry", "default_registry"]

_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"


def default_registry() -> Registry:
    """A registry with every built-in extractor (callers may add their own)."""
    reg = Registry()
    reg.register(PdfExtractor(), ("application/pdf", "application/x-pdf"), ("pdf",), (b"%PDF-",))
    reg.register(DocxExtractor(), (f"{_OOXML}.wordprocessingml.document",), ("docx", "docm"))
    reg.register(XlsxExtractor(), (f"{_OOXML}.spreadsheetml.sheet",), ("xlsx", "xlsm"))
    reg.register(PptxExtractor(), (f"{_OOXML}.presentationml.presentation",), ("pptx", "pptm"))
    reg.register(
        OdfExtractor(),
        (f"{_ODF}.text", f"{_ODF}.spreadsheet", f"{_ODF}.presentation"),
        ("odt", "ods", "odp"),
    )
    reg.register(RtfExtractor(), ("application/rtf", "text/rtf", "text/richtext"), ("rtf",), (b"{\\rtf",))
    reg.register(
        TnefExtractor(),
        ("application/ms-tnef", "application/vnd.ms-tnef"),
        ("tnef",),  # winmail.dat: found by type or magic; other .dat files are not TNEF
        (b"\x78\x9f\x3e\x22",),
    )
    reg.register(
        MessageExtractor(),
        ("message/rfc822", "message/global", "application/eml"),
        ("eml",),
    )
    reg.register(
        LegacyOfficeExtractor(),
        ("application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"),
        ("doc", "dot", "xls", "xlt", "ppt", "pps"),
    )
    reg.register(SmimeExtractor(), ("application/pkcs7-mime", "application/x-pkcs7-mime"), ("p7m",))
    reg.register(MsgExtractor(), ("application/vnd.ms-outlook", "application/x-ms-msg"), ("msg",))
    reg.register(
        ZipExtractor(),
        ("application/zip", "application/x-zip-compressed", "application/x-zip"),
        ("zip",),
        (b"PK\x03\x04",),
    )
    reg.register(HtmlExtractor(), ("text/html", "application/xhtml+xml"), ("html", "htm", "xhtml"))
    reg.register(XmlExtractor(), ("text/xml", "application/xml"), ("xml",))
    reg.register(
        TextExtractor(),
        ("text/plain", "text/csv", "text/tab-separated-values", "text/calendar", "text/vcard",
         "text/x-vcard", "text/markdown", "text/x-log", "application/json", "application/csv"),
        ("txt", "csv", "tsv", "log", "md", "ics", "vcf", "json", "ini", "cfg"),
        prefixes=("text/",),
    )  # fmt: skip
    return reg
