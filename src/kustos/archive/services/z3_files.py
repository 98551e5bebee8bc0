"""The pure parts of a Z3 handover: the metadata CSV, the GDPdU ``index.xml`` and the manifest.

Everything here is a function of its arguments (no clock, no settings), so the same
messages always give the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape as _escape
from zoneinfo import ZoneInfo

from kustos.archive.z3 import DTD_NAME

BERLIN = ZoneInfo("Europe/Berlin")
CSV_NAME = "messages.csv"
INDEX_NAME = "index.xml"
SUMS_NAME = "SHA256SUMS"
MAIL_DIR = "mails"
DATE_FORMAT = "DD.MM.YYYY"
# (column name, GDPdU type, description); the first is the primary key.
COLUMNS = (
    ("archive_id", "AlphaNumeric", "Archive id of the message in Kustos"),
    ("date", "Date", "Date of the message (Date header, Europe/Berlin)"),
    ("from", "AlphaNumeric", "Sender address"),
    ("to", "AlphaNumeric", "Recipient addresses, comma separated"),
    ("subject", "AlphaNumeric", "Subject"),
    ("size", "Numeric", "Size of the original message in bytes"),
    ("sha256", "AlphaNumeric", "SHA-256 of the original message file"),
    ("file_name", "AlphaNumeric", "Path of the original message (.eml) on this medium"),
)


@dataclass(frozen=True)
class Row:
    archive_id: str
    date: datetime | None
    sender: str
    recipients: list[str]
    subject: str
    size: int
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{MAIL_DIR}/{self.archive_id}.eml"


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """XML text: special characters escaped, characters XML 1.0 forbids (e.g. NUL) dropped."""
    return _escape(_NOT_XML.sub("", text))


def _field(value: str) -> str:
    flat = " ".join(value.replace("\r", " ").replace("\n", " ").split())
    return '"' + flat.replace('"', '""') + '"'


def _day(when: date | datetime | None) -> str:
    if when is None:
        return ""
    if isinstance(when, datetime):
        when = when.astimezone(BERLIN).date()
    return when.strftime("%d.%m.%Y")


def csv_bytes(rows: list[Row]) -> bytes:
    """UTF-8, ``;`` delimited, ``"`` encapsulated, CRLF records, one header line."""
    lines = [";".join(name for name, _, _ in COLUMNS)]
    for r in rows:
        lines.append(";".join([_field(r.archive_id), _day(r.date), _field(r.sender), _field(", ".join(r.recipients)),
                               _field(r.subject), str(r.size), _field(r.sha256), _field(r.file_name)]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _column(tag: str, name: str, kind: str, description: str) -> str:
    if kind == "Date":
        typ = f"<Date><Format>{DATE_FORMAT}</Format></Date>"
    elif kind == "Numeric":
        typ = "<Numeric><Accuracy>0</Accuracy></Numeric>"
    else:
        typ = "<AlphaNumeric/>"
    return (f"        <{tag}>\n          <Name>{escape(name)}</Name>\n"
            f"          <Description>{escape(description)}</Description>\n          {typ}\n        </{tag}>\n")


def index_xml(*, supplier: str, location: str, comment: str, media: str,
              valid_from: date | None = None, valid_to: date | None = None) -> bytes:
    """The ``index.xml`` describing ``messages.csv`` (GDPdU Beschreibungsstandard, DTD of 2004-09-01)."""
    validity = ""
    if valid_from or valid_to:
        to = f"<To>{_day(valid_to)}</To>" if valid_to else ""
        validity = (f"      <Validity>\n        <Range><From>{_day(valid_from or date(1900, 1, 1))}</From>{to}</Range>\n"
                    f"        <Format>{DATE_FORMAT}</Format>\n      </Validity>\n")
    key, *rest = COLUMNS
    columns = _column("VariablePrimaryKey", *key) + "".join(_column("VariableColumn", *c) for c in rest)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE DataSet SYSTEM "{DTD_NAME}">\n'
        "<DataSet>\n"
        "  <Version>1.0</Version>\n"
        "  <DataSupplier>\n"
        f"    <Name>{escape(supplier)}</Name>\n"
        f"    <Location>{escape(location)}</Location>\n"
        f"    <Comment>{escape(comment)}</Comment>\n"
        "  </DataSupplier>\n"
        "  <Media>\n"
        f"    <Name>{escape(media)}</Name>\n"
        "    <Table>\n"
        f"      <URL>{CSV_NAME}</URL>\n"
        "      <Name>Messages</Name>\n"
        "      <Description>Archived e-mail messages; the original of each is the .eml file named in "
        "file_name</Description>\n"
        f"{validity}"
        "      <UTF8/>\n"
        "      <DecimalSymbol>,</DecimalSymbol>\n"
        "      <DigitGroupingSymbol>.</DigitGroupingSymbol>\n"
        "      <Range><From>2</From></Range>\n"
        "      <VariableLength>\n"
        "        <ColumnDelimiter>;</ColumnDelimiter>\n"
        "        <RecordDelimiter>&#13;&#10;</RecordDelimiter>\n"
        '        <TextEncapsulator>"</TextEncapsulator>\n'
        f"{columns}"
        "      </VariableLength>\n"
        "    </Table>\n"
        "  </Media>\n"
        "</DataSet>\n"
    )
    return text.encode("utf-8")


def manifest(digests: dict[str, str]) -> bytes:
    """``sha256sum -c`` format, sorted by path."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests)).encode("ascii")
