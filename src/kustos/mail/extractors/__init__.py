"""Attachment text extractors and the default registry that maps formats to them.

The registry knows every built-in extractor's MIME types, extensions and magic bytes, but
imports an extractor's module (and its library) only on first use: importing this package
loads no parsing library (see :class:`LazyExtractor`).
"""

from __future__ import annotations

from .registry import Context, Extracted, ExtractionError, Extractor, LazyExtractor, Registry

__all__ = [
    "Context", "Extracted", "ExtractionError", "Extractor", "LazyExtractor", "Registry", "default_registry",
]  # fmt: skip

_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"


def _lazy(name: str, module: str, attr: str) -> LazyExtractor:
    return LazyExtractor(name, module, attr, __name__)


def default_registry() -> Registry:
    """A registry with every built-in extractor (callers may add their own), each imported
    on its first use."""
    reg = Registry()
    reg.register(_lazy("pdf", ".pdf", "PdfExtractor"), ("application/pdf", "application/x-pdf"), ("pdf",), (b"%PDF-",))
    reg.register(_lazy("docx", ".office", "DocxExtractor"), (f"{_OOXML}.wordprocessingml.document",), ("docx", "docm"))
    reg.register(_lazy("xlsx", ".office", "XlsxExtractor"), (f"{_OOXML}.spreadsheetml.sheet",), ("xlsx", "xlsm"))
    reg.register(_lazy("pptx", ".office", "PptxExtractor"), (f"{_OOXML}.presentationml.presentation",), ("pptx", "pptm"))
    reg.register(
        _lazy("odf", ".odf", "OdfExtractor"),
        (f"{_ODF}.text", f"{_ODF}.spreadsheet", f"{_ODF}.presentation"),
        ("odt", "ods", "odp"),
    )
    reg.register(_lazy("rtf", ".rtf", "RtfExtractor"), ("application/rtf", "text/rtf", "text/richtext"), ("rtf",), (b"{\\rtf",))
    reg.register(
        _lazy("tnef", ".tnef", "TnefExtractor"),
        ("application/ms-tnef", "application/vnd.ms-tnef"),
        ("tnef",),  # winmail.dat: found by type or magic; other .dat files are not TNEF
        (b"\x78\x9f\x3e\x22",),
    )
    reg.register(
        _lazy("rfc822", ".message", "MessageExtractor"),
        ("message/rfc822", "message/global", "application/eml"),
        ("eml",),
    )
    reg.register(
        _lazy("ole-office", ".ole", "LegacyOfficeExtractor"),
        ("application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"),
        ("doc", "dot", "xls", "xlt", "ppt", "pps"),
    )
    reg.register(_lazy("smime", ".smime", "SmimeExtractor"), ("application/pkcs7-mime", "application/x-pkcs7-mime"), ("p7m",))
    reg.register(_lazy("msg", ".outlook", "MsgExtractor"), ("application/vnd.ms-outlook", "application/x-ms-msg"), ("msg",))
    reg.register(
        _lazy("zip", ".zip", "ZipExtractor"),
        ("application/zip", "application/x-zip-compressed", "application/x-zip"),
        ("zip",),
        (b"PK\x03\x04",),
    )
    reg.register(_lazy("html", ".text", "HtmlExtractor"), ("text/html", "application/xhtml+xml"), ("html", "htm", "xhtml"))
    reg.register(_lazy("xml", ".text", "XmlExtractor"), ("text/xml", "application/xml"), ("xml",))
    reg.register(
        _lazy("text", ".text", "TextExtractor"),
        ("text/plain", "text/csv", "text/tab-separated-values", "text/calendar", "text/vcard",
         "text/x-vcard", "text/markdown", "text/x-log", "application/json", "application/csv"),
        ("txt", "csv", "tsv", "log", "md", "ics", "vcf", "json", "ini", "cfg"),
        prefixes=("text/",),
    )  # fmt: skip
    return reg
