"""The two icons of the Outlook add-in's app package, drawn by code (no image library needed).

Microsoft's unified app manifest requires a full-colour 192x192 PNG (``icons.color``) and a 32x32 PNG
outline icon (``icons.outline``: white strokes on a transparent background). Both show the envelope of
the XML manifest's icons: the colour icon on the dark Kustos tile, the outline icon in white only.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

Pixel = tuple[int, int, int, int]
TILE: Pixel = (24, 33, 47, 255)
WHITE: Pixel = (255, 255, 255, 255)
CLEAR: Pixel = (0, 0, 0, 0)


def _png(width: int, height: int, pixels: list[list[Pixel]]) -> bytes:
    """An RGBA PNG (colour type 6, 8 bit, no interlace) of the given rows of pixels."""
    raw = b"".join(b"\x00" + b"".join(bytes(p) for p in row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _envelope(size: int, background: Pixel, tile: bool) -> list[list[Pixel]]:
    """An envelope outline (rectangle and flap) in white, on a rounded tile or on ``background``."""
    px = [[background] * size for _ in range(size)]
    if tile:
        radius = size // 8
        for y in range(size):
            for x in range(size):
                dx = max(radius - x, x - (size - 1 - radius), 0)
                dy = max(radius - y, y - (size - 1 - radius), 0)
                px[y][x] = TILE if dx * dx + dy * dy <= radius * radius else CLEAR
    stroke = max(1, size // 40) if tile else 2
    margin = size * 3 // 16 if tile else 2
    left, right = margin, size - 1 - margin
    top, bottom = size * 5 // 16 if tile else 7, size - 1 - (size * 5 // 16 if tile else 7)

    def dot(x: int, y: int) -> None:
        for yy in range(y, y + stroke):
            for xx in range(x, x + stroke):
                if left <= xx <= right and top <= yy <= bottom:
                    px[yy][xx] = WHITE

    for x in range(left, right + 1):
        dot(x, top)
        dot(x, bottom - stroke + 1)
    for y in range(top, bottom + 1):
        dot(left, y)
        dot(right - stroke + 1, y)
    middle_x, middle_y = (left + right) // 2, (top + bottom) // 2 + stroke
    half = middle_x - left
    for i in range(half + 1):
        y = top + (middle_y - top) * i // max(half, 1)
        dot(left + i, y)
        dot(right - stroke + 1 - i, y)
    return px


@lru_cache(maxsize=1)
def color_icon() -> bytes:
    """The 192x192 full-colour icon."""
    return _png(192, 192, _envelope(192, CLEAR, tile=True))


@lru_cache(maxsize=1)
def outline_icon() -> bytes:
    """The 32x32 outline icon: white on transparent, as the schema describes."""
    return _png(32, 32, _envelope(32, CLEAR, tile=False))
