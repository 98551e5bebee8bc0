"""Recognising text in an image or a scanned PDF with Tesseract, each page in its own process.

Every external program (``tesseract``, ``pdftoppm``) runs as a subprocess with a wall-time
limit (killed when it passes) and an address-space limit (``setrlimit`` in the child), with
OpenMP held to one thread, in a private temporary directory (0700) that is removed afterwards.
Images are checked against the pixel limit from their header before anything is decoded
(decompression bombs); PDFs are rasterised by ``pdftoppm`` at a bounded size, at most
``max_pages`` pages. :func:`recognise` never raises: failures come back as a one-line reason.
No recognised text is ever logged.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from kustos.ocr.limits import OcrLimits
from kustos.ocr.sniff import sniff

# longest side of a rasterised PDF page (about 250 dpi on A4): bounds the pixels of any page
PAGE_LONG_SIDE = 3000
MIN_SIDE = 16  # smaller images hold no readable text
# what a process says when the address-space limit stops it (loader, C++ runtime, libc, leptonica)
_OUT_OF_MEMORY = ("failed to map segment", "bad_alloc", "Cannot allocate memory", "Out of memory",
                  "out of memory", "memory exhausted")


@dataclass
class OcrOutcome:
    """``status`` is "done", "failed" or "skipped"; ``reason`` says why (failed/skipped) or
    notes a limit that applied (done); ``text`` is the recognised text."""

    status: str
    reason: str = ""
    text: str = ""
    pages: int = 0


class OcrFailed(Exception):
    """One step failed; the message is the reason shown per attachment."""


def recognise(data: bytes, limits: OcrLimits) -> OcrOutcome:
    """The text in ``data`` (PNG, JPEG, TIFF, GIF or PDF, by its bytes)."""
    kind = sniff(data)
    if not kind:
        return OcrOutcome("skipped", "not an image or PDF")
    try:
        with tempfile.TemporaryDirectory(prefix="kustos-ocr-") as tmp:
            if kind == "pdf":
                return _pdf(data, limits, Path(tmp))
            return _image(data, limits, Path(tmp))
    except OcrFailed as exc:
        return OcrOutcome("failed", str(exc))


def _image(data: bytes, limits: OcrLimits, tmp: Path) -> OcrOutcome:
    pages = _frames(data, limits)
    if pages is None:
        return OcrOutcome("skipped", "image too small to hold text")
    texts = []
    for n, png in enumerate(pages, 1):
        path = tmp / f"frame-{n}.png"
        path.write_bytes(png)
        texts.append(_tesseract(path, limits))
    return _outcome(texts, limits, "")


def _frames(data: bytes, limits: OcrLimits) -> list[bytes] | None:
    """The image's frames (at most max_pages) as grayscale PNGs; refused by its header's size
    before decoding when it has more pixels than allowed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            width, height = im.size
            if width * height > limits.max_pixels:
                raise OcrFailed(f"image too large: {width}x{height} pixels (limit {limits.max_pixels})")
            if min(width, height) < MIN_SIDE:
                return None
            out = []
            for index in range(min(getattr(im, "n_frames", 1), limits.max_pages)):
                im.seek(index)
                buf = io.BytesIO()
                im.convert("L").save(buf, format="PNG")
                out.append(buf.getvalue())
            return out
    except OcrFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise OcrFailed(f"image too large: {exc}") from None
    except UnidentifiedImageError:
        raise OcrFailed("corrupt image: the image data cannot be read") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise OcrFailed(f"corrupt image: {_line(str(exc)) or type(exc).__name__}") from None


def _pdf(data: bytes, limits: OcrLimits, tmp: Path) -> OcrOutcome:
    src = tmp / "in.pdf"
    src.write_bytes(data)
    _run([limits.pdftoppm, "-q", "-gray", "-png", "-scale-to", str(PAGE_LONG_SIDE), "-f", "1",
          "-l", str(limits.max_pages), str(src), str(tmp / "page")], limits, "pdftoppm")
    pages = sorted(tmp.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if not pages:
        raise OcrFailed("the PDF has no pages that could be rendered")
    texts = [_tesseract(page, limits) for page in pages[: limits.max_pages]]
    total = _page_count(src, limits) if len(pages) >= limits.max_pages else len(pages)
    note = f"first {limits.max_pages} of {total} pages recognised" if total > limits.max_pages else ""
    return _outcome(texts, limits, note)


def _page_count(pdf: Path, limits: OcrLimits) -> int:
    """Pages of the PDF by ``pdfinfo`` (same limits); 0 when it cannot tell."""
    try:
        info = _run([limits.pdfinfo, str(pdf)], limits, "pdfinfo").decode("utf-8", "replace")
    except OcrFailed:
        return 0
    for line in info.splitlines():
        value = line.split(":", 1)[1].strip() if line.startswith("Pages:") else ""
        if value.isdigit():
            return int(value)
    return 0


def _outcome(texts: list[str], limits: OcrLimits, note: str) -> OcrOutcome:
    text = "\n".join(t.strip() for t in texts if t.strip())
    if len(text) > limits.max_chars:
        text, note = text[: limits.max_chars], f"text cut at {limits.max_chars} characters"
    return OcrOutcome("done", note or ("" if text else "no text found"), text, len(texts))


def _tesseract(image: Path, limits: OcrLimits) -> str:
    out = _run([limits.tesseract, str(image), "stdout", "-l", limits.languages, "--psm", "3"], limits, "tesseract")
    return out.decode("utf-8", "replace")


def _run(argv: list[str], limits: OcrLimits, name: str) -> bytes:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1", "LC_ALL": "C"}
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=limits.timeout, env=env, check=False,
                              stdin=subprocess.DEVNULL, preexec_fn=_limiter(limits))
    except subprocess.TimeoutExpired:
        raise OcrFailed(f"{name} timed out after {limits.timeout:g}s") from None
    except FileNotFoundError:
        raise OcrFailed(f"{name} is not installed") from None
    if proc.returncode != 0:
        if proc.returncode < 0 or proc.returncode in (137, 139):
            raise OcrFailed(f"{name} was stopped (signal {abs(proc.returncode)}; memory limit "
                            f"{limits.memory_mb} MB?)")
        stderr = proc.stderr.decode("utf-8", "replace")
        if any(sign in stderr for sign in _OUT_OF_MEMORY):
            raise OcrFailed(f"{name} ran out of memory (limit {limits.memory_mb} MB)")
        detail = _line(stderr)
        raise OcrFailed(f"{name} failed (exit {proc.returncode})" + (f": {detail}" if detail else ""))
    return proc.stdout


def _limiter(limits: OcrLimits) -> Callable[[], None]:
    memory = limits.memory_mb * 1024 * 1024
    cpu = int(limits.timeout) + 2

    def apply() -> None:  # runs in the child before exec
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _line(text: str, limit: int = 160) -> str:
    """The last non-empty line of a program's message, bounded (never recognised text)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:limit] if lines else ""
