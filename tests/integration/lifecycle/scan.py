"""Independent checks for leftovers: file contents/names and database rows that still mention
a deleted customer (raw SQL over every table, not the models' own relations)."""

from __future__ import annotations

import os
from pathlib import Path

from django.db import connection

MAX_SCAN = 256 * 1024 * 1024


def files_containing(roots: list[Path], needles: list[bytes], since: float) -> list[str]:
    """Files under ``roots`` modified at/after ``since`` whose name or bytes contain a needle."""
    hits: list[str] = []
    seen: set[str] = set()
    for root in roots:
        for dirpath, dirs, names in os.walk(root):
            if "PG_VERSION" in names:
                # A PostgreSQL server's own storage (its WAL, dead tuples until VACUUM) is the
                # database's business, not a file Kustos writes: on PostgreSQL the rows
                # themselves are checked by SQL (rows_mentioning).
                dirs[:] = []
                continue
            for name in names:
                path = os.path.join(dirpath, name)
                if path in seen:
                    continue
                seen.add(path)
                try:
                    st = os.lstat(path)
                    if not os.path.isfile(path) or os.path.islink(path) or st.st_mtime < since \
                            or st.st_size > MAX_SCAN:
                        continue
                    if any(n.decode() in path for n in needles):
                        hits.append(f"{path} (name)")
                        continue
                    with open(path, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                found = [n.decode() for n in needles if n in data]
                if found:
                    hits.append(f"{path} ({', '.join(found)})")
    return hits


def rows_mentioning(needles: list[str]) -> dict[str, list[dict]]:
    """Every table's rows whose text (any column) contains one of ``needles``."""
    found: dict[str, list[dict]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            names = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                text = " ".join(str(v) for v in row)
                if any(n in text for n in needles):
                    found.setdefault(table, []).append(dict(zip(names, row, strict=True)))
    return found
