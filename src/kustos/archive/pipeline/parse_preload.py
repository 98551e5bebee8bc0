"""Imported once, by the fork server that starts parse workers (``parsing.PRELOAD``), never by
Kustos itself: loads the parsing modules, then moves every object so far into the garbage
collector's permanent generation. A worker forked from the server then shares those pages;
without the freeze its first collections would write to every object and copy every page
(~80 MB per worker)."""

from __future__ import annotations

import gc

from kustos.archive.pipeline import parsing  # noqa: F401  (the modules the workers run)

gc.collect()
gc.freeze()
