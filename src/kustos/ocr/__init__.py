"""OCR of scanned attachments with Tesseract, in separate processes with limits — no Django.

sniff.py (the format by the first bytes), limits.py (OcrLimits: time, memory, pages, pixels,
languages), engine.py (``recognise``: an image or a scanned PDF → an OcrOutcome; never raises),
candidates.py (which parsed attachments may need OCR: images, PDFs without a text layer).
The archive runs it in the ``archive.ocr`` job after ingest (archive/services/ocr.py).
"""

from kustos.ocr.candidates import is_candidate
from kustos.ocr.engine import OcrOutcome, recognise
from kustos.ocr.limits import OcrLimits
from kustos.ocr.sniff import sniff

__all__ = ["OcrLimits", "OcrOutcome", "is_candidate", "recognise", "sniff"]
