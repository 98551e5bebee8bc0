"""kustos-read: a standalone reader of Kustos vaults, written from docs/FORMAT.md alone.

It imports nothing of Kustos and needs no server, database or search index."""

__version__ = "1.0.0"
