"""Bounds of one OCR run, passed in by the caller (the job builds them from Settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrLimits:
    """``timeout``: wall seconds per tesseract (or pdftoppm) process; ``memory_mb``: their
    address-space limit; ``max_pages``: pages of a PDF (frames of a TIFF/GIF) recognised;
    ``max_pixels``: images with more pixels are refused before decoding; ``max_chars``: text
    kept per attachment; ``languages``: tesseract's ``-l`` (e.g. "deu+eng")."""

    timeout: float = 120.0
    memory_mb: int = 1024
    max_pages: int = 20
    max_pixels: int = 40_000_000
    max_chars: int = 200_000
    languages: str = "deu+eng"
    tesseract: str = "tesseract"
    pdftoppm: str = "pdftoppm"
    pdfinfo: str = "pdfinfo"
