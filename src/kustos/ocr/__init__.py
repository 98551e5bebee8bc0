"""OCR of scanned attachments with Tesseract, in separate processes with limits — no Django.

sniff.py (the format by the first bytes), limits.py (OcrLimits: time, memory, pages, pixels,
languages), engine.py (``recognise``: an image or a scanned PDF → an OcrOutcome; never raises),
candidates.py (which parsed attachments may need OCR: images, PDFs without a text layer).
The archive runs it in the ``archive.ocr`` job after ingest (archive/services/ocr.py). Import the
submodules: this package imports nothing, so ingest (candidates only) never loads Pillow.
"""
