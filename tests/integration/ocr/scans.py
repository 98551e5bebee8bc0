"""Generated scans of known text: sentences rendered with Pillow into PNG, JPEG, TIFF and an
image-only PDF, and mails carrying them."""

from __future__ import annotations

import io
from email.message import EmailMessage

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # fonts-dejavu-core (scripts/apt-packages.txt)


def rendered(lines: list[str]) -> Image.Image:
    font = ImageFont.truetype(FONT, 40)
    im = Image.new("L", (1500, 110 * len(lines) + 80), 255)
    draw = ImageDraw.Draw(im)
    for n, line in enumerate(lines):
        draw.text((50, 50 + 110 * n), line, font=font, fill=0)
    return im


def image_bytes(lines: list[str], fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    rendered(lines).convert("RGB" if fmt in ("JPEG", "PDF") else "L").save(buf, format=fmt, resolution=150)
    return buf.getvalue()


def oversize_png(side: int = 9000) -> bytes:
    """A small file that decodes to side² pixels (a decompression bomb)."""
    buf = io.BytesIO()
    Image.new("1", (side, side), 1).save(buf, format="PNG")
    return buf.getvalue()


def corrupt_png() -> bytes:
    good = image_bytes(["Korrupt"])
    return good[:60] + b"\x00" * 40  # a PNG header whose image data breaks off


def mail(subject: str, attachments: list[tuple[str, str, bytes]], n: int = 1) -> bytes:
    msg = EmailMessage()
    msg["From"] = "buchhaltung@lieferant.example"
    msg["To"] = "rechnung@kunde.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<scan-{n}-{abs(hash(subject))}@lieferant.example>"
    msg["Date"] = "Mon, 02 Sep 2024 10:00:00 +0200"
    msg.set_content("Anbei der Scan.\n")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
