"""Making a search index look as if an older Kustos (another analysis version) had built it."""

from __future__ import annotations

import psycopg

from kustos.core import runtime
from kustos.search import PostgresIndex
from kustos.search.backends.postgres_schema import TABLE


def make_outdated(customer_id: str) -> None:
    """What an index built before the current analysis looks like, on the configured backend."""
    index = runtime.search_index()
    if isinstance(index, PostgresIndex):
        with psycopg.connect(index.dsn, autocommit=True) as conn:
            conn.execute(f"UPDATE {TABLE} SET analysis = 1 WHERE customer = %s", (customer_id,))
        return
    runtime.reset()
    (runtime.settings().index_path / customer_id / "kustos-schema-version").write_text("2")
