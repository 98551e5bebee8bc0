"""The format of attachment bytes by their magic numbers (the name and declared type may lie)."""

from __future__ import annotations

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)

IMAGE_KINDS = frozenset({"png", "jpeg", "tiff", "gif"})


def sniff(data: bytes) -> str:
    """"png", "jpeg", "tiff", "gif", "pdf", or "" for anything else."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if b"%PDF-" in data[:1024]:  # PDF allows bytes before the header
        return "pdf"
    return ""
