"""Backup services: ``plans`` (enable, schedule, due), ``runs`` (one run into a snapshot),
``browse`` (snapshots, ls) and ``download`` (a ZIP of a subtree, streamed)."""
