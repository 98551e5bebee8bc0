"""Imported once, by the fork server that starts parse workers (``parsing.PRELOAD``), never by
Kustos itself: loads the parsing modules and the attachment extractors the workers will need,
then moves every object so far into the garbage collector's permanent generation. A worker
forked from the server then shares those pages; without the freeze its first collections
would write to every object and copy every page (~80 MB per worker).

Extractors load on first use (``kustos.mail.extractors``), so the ingesting process carries
none of their libraries. Here the trade is the other way round: a library imported in the fork
server exists once, shared by every worker; one imported lazily costs each worker that meets
the format its own copy. Measured (RSS after import; pypdf 20 MB, openpyxl + python-pptx +
python-docx 19-24 MB, extract_msg 18-21 MB, odfpy 2-7 MB, asn1crypto 2-5 MB, the rest < 1 MB),
the formats common in mail are preloaded. Only Outlook ``.msg`` files (extract_msg and its
RTF/HTML stack, ~20 MB) stay lazy: mail clients send forwarded mail as message/rfc822, so a
``.msg`` attachment is rare, and a worker that meets one loads it then. On ``bench/scale.py``
at 20,000 messages the fork server and its workers peaked at 93 MB PSS this way and at 111 MB
with every extractor left to load lazily in the workers.
"""

from __future__ import annotations

import gc

from kustos.archive.pipeline import parsing  # noqa: F401  (the modules the workers run)
from kustos.mail.attachments import REGISTRY

# Extractor names (``Extractor.name``) imported here; the others load on first use.
PRELOADED = (
    "pdf", "docx", "xlsx", "pptx", "ole-office", "odf", "rtf", "tnef", "smime", "rfc822", "zip",
    "html", "xml", "text",
)  # fmt: skip

REGISTRY.preload(PRELOADED)
gc.collect()
gc.freeze()
