"""RFC 2047 / RFC 2231 decoding and broken or mislabelled charsets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kustos.mail import parse
from kustos.mail.charsets import codec_for, decode_bytes
from kustos.mail.headers import decode_header, parse_addresses, parse_date, parse_msgids
from kustos.mail.params import parse_params


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
        ("=?UTF-8?B?R3LDvMOfZQ==?=", "Grüße"),
        ("=?iso-8859-1?q?caf=E9_cr=E8me?=", "café crème"),
        ("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト"),
        ("=?gb2312?B?1tDOxA==?=", "中文"),
        ("=?gb18030?B?1tDOxA==?=", "中文"),
        ("=?big5?B?pKSk5Q==?=", "中文"),
        ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
        ("=?windows-1251?B?z/Do4uXy?=", "Привет"),
        ("=?windows-1252?q?=93quoted=94?=", "\u201cquoted\u201d"),
        ("=?utf-7?Q?Hi_+AOQ-?=", "Hi ä"),
        ("=?utf-16?B?//5IAGkA?=", "Hi"),
        ("=?uft-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),  # misspelt charset
        ("=?fakescii?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),  # unknown charset: sniffed
        ("=?x-unknown?q?caf=E9?=", "café"),  # not UTF-8: cp1252 fallback
        ("=?utf-8*en?q?lang_tag?=", "lang tag"),  # RFC 2231 language in an encoded word
        ("=?utf-8?q?split_=C3?= =?utf-8?q?=BC_char?=", "split ü char"),  # multibyte split over words
        ("a =?utf-8?q?b?=  =?utf-8?q?c?= d", "a bc d"),  # whitespace between words dropped
        ("=?utf-8?b?bm8gcGFkZGluZw?=", "no padding"),
        ("=?utf-8?q?unterminated", "=?utf-8?q?unterminated"),
        ("Re: plain\n\tfolded", "Re: plain\tfolded"),
    ],
)
def test_rfc2047(raw: str, expected: str) -> None:
    assert decode_header(raw) == expected


def test_raw_8bit_headers_utf8_and_latin1_and_hint() -> None:
    utf8 = "Grüße".encode().decode("ascii", "surrogateescape")
    latin = "Grüße".encode("latin-1").decode("ascii", "surrogateescape")
    koi = "Привет".encode("koi8-r").decode("ascii", "surrogateescape")
    assert decode_header(utf8) == "Grüße"
    assert decode_header(latin) == "Grüße"
    assert decode_header(koi, hint="koi8-r") == "Привет"
    # raw 8-bit inside an encoded word is decoded with the word's charset
    inside = "=?iso-8859-1?Q?Fr\udcf6sche?="
    assert decode_header(inside) == "Frösche"


def test_raw_8bit_subject_in_message_uses_body_charset() -> None:
    raw = (
        "Subject: Привет мир\nFrom: Иван <ivan@example.ru>\n"
        "Content-Type: text/plain; charset=koi8-r\n\nтекст\n"
    ).encode("koi8-r")
    msg = parse(raw)
    assert msg.subject == "Привет мир"
    assert msg.from_ == [("Иван", "ivan@example.ru")]
    assert msg.body_text == "текст\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('attachment; filename="report.pdf"', ("attachment", {"filename": "report.pdf"})),
        ("attachment; filename*=utf-8''%C3%BCber%20uns.txt", ("attachment", {"filename": "über uns.txt"})),
        ("attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt", ("attachment", {"filename": "Grüße.txt"})),
        (
            "attachment; filename*0*=utf-8''%E4%B8%AD; filename*1*=%E6%96%87; filename*2=.doc",
            ("attachment", {"filename": "中文.doc"}),
        ),
        (
            'Text/Plain; Charset="UTF-8"; format=flowed',
            ("text/plain", {"charset": "UTF-8", "format": "flowed"}),
        ),
        ('inline; filename="a \\"quoted\\" name"', ("inline", {"filename": 'a "quoted" name'})),
        ('attachment; filename="unterminated', ("attachment", {"filename": "unterminated"})),
        ("multipart/mixed; boundary=abc; boundary=def", ("multipart/mixed", {"boundary": "abc"})),
    ],
)
def test_rfc2231_and_params(value: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_params(value) == expected


def test_rfc2047_filename_in_message() -> None:
    raw = (
        b"From: a@b.c\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=X\n\n"
        b"--X\nContent-Type: text/plain\n\nhi\n"
        b'--X\nContent-Type: application/pdf; name="=?utf-8?B?UmVjaG51bmcgw5xiZXJzaWNodC5wZGY=?="\n'
        b"Content-Transfer-Encoding: base64\n\nAAAA\n--X--\n"
    )
    msg = parse(raw)
    assert [a.filename for a in msg.attachments] == ["Rechnung Übersicht.pdf"]


def test_addresses() -> None:
    assert parse_addresses(['"Doe, Jane" <jane@x.org>, bob@y.org', "=?utf-8?q?J=C3=BCrgen?= <j@z.de>"]) == [
        ("Doe, Jane", "jane@x.org"),
        ("", "bob@y.org"),
        ("Jürgen", "j@z.de"),
    ]
    assert parse_addresses(["Team: a@x.org, b@x.org;"]) == [("", "a@x.org"), ("", "b@x.org")]
    assert parse_addresses(["a@x.org (Alice Comment)"]) == [("Alice Comment", "a@x.org")]
    assert parse_addresses(["undisclosed-recipients:;"]) == []
    assert parse_addresses(["<<<>>>,,,"]) is not None  # garbage never raises


def test_dates() -> None:
    assert parse_date("Mon, 01 Jul 2024 10:00:00 +0200") == datetime(
        2024, 7, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))
    )
    assert parse_date("1 Jul 2024 10:00 GMT") == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert parse_date("Mon, 01 Jul 24 10:00:00 -0000") == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert parse_date("not a date") is None
    assert parse_date("Mon, 32 Jul 2024 10:00:00 +0200") is None
    assert parse_date("Mon, 01 Jul 2024 10:00:00 +9999") is None


def test_message_ids() -> None:
    assert parse_msgids(" <a@b>\n <c@d> junk <e@f>") == ["<a@b>", "<c@d>", "<e@f>"]
    assert parse_msgids("bare-id@host") == ["bare-id@host"]
    assert parse_msgids("") == []


@pytest.mark.parametrize(
    ("declared", "codec"),
    [("UTF8", "utf-8"), ("uft-8", "utf-8"), ("iso-8859-1", "cp1252"), ("GB2312", "gb18030"),
     ("shift_jis", "cp932"), ("ks_c_5601-1987", "cp949"), ("fakescii", None), ("base64", None),
     ("utf-8*de", "utf-8"), ('"windows-1251"', "cp1251"), ("", None), ("x-cp1251", "cp1251"),
     ("iso-8859-8-i", "iso8859-8"), ("latin-2", "iso8859-2"), ("cp-850", "cp850"), ("ucs-2", "utf-16"),
     ("x-euc-jp", "euc_jp")],
)  # fmt: skip
def test_codec_mapping(declared: str, codec: str | None) -> None:
    assert codec_for(declared) == codec


def test_decode_bytes_fallbacks() -> None:
    assert decode_bytes("Grüße".encode(), "us-ascii") == "Grüße"  # 8-bit labelled ASCII
    assert decode_bytes("Grüße".encode(), "iso-8859-1") == "GrÃ¼ÃŸe"  # declared wins when valid
    assert decode_bytes(b"\xff\xfeH\x00i\x00", None) == "Hi"  # UTF-16 BOM
    assert decode_bytes("日本語のテキスト".encode("shift_jis"), "utf-8") != ""  # never raises
    assert decode_bytes(b"\x80abc", "utf-8") == "\ufffdabc"


def test_encoded_body_charsets_in_messages() -> None:
    def message(charset: str, body: bytes, cte: str = "8bit") -> bytes:
        head = f"From: a@b.c\nSubject: t\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}\n\n"
        return head.encode() + body

    assert parse(message("iso-2022-jp", "日本語です".encode("iso2022_jp"), "7bit")).body_text == "日本語です"
    assert parse(message("big5", "繁體中文".encode("big5"))).body_text == "繁體中文"
    assert parse(message("gb18030", "简体中文".encode("gb18030"))).body_text == "简体中文"
    assert parse(message("utf-16", "UTF-16 text".encode("utf-16"))).body_text == "UTF-16 text"
    assert parse(message("uft-8", "Grüße".encode())).body_text == "Grüße"
    assert parse(message("fakescii", "Grüße".encode())).body_text == "Grüße"
    assert parse(message("utf-7", b"Hi +AOQ-")).body_text == "Hi ä"
    assert parse(message("windows-1250", "Zażółć".encode("cp1250"))).body_text == "Zażółć"
    assert parse(message("utf-8", b"R3LDvMOfZQ==", "base64")).body_text == "Grüße"
    assert parse(message("utf-8", b"Gr=C3=BC=C3=9Fe=\nx", "quoted-printable")).body_text == "Grüßex"
    assert parse(message("utf-8", b"plain", "base9000")).body_text == "plain"  # bogus CTE kept raw
