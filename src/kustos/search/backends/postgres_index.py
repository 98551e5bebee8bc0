"""PostgresIndex: full-text search in PostgreSQL (tsvector + GIN), all customers in one table.

Writes go through one transaction committed by ``commit()`` (write from one thread at a
time); searches use an autocommit connection per thread, so they see committed data only,
a failed search cannot abort pending writes, and threads may search concurrently.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import psycopg

from kustos.search.backends.postgres_query import has_text, rank_query, where
from kustos.search.backends.postgres_schema import DDL, REBUILDING_TABLE, TABLE, UPSERT, row
from kustos.search.base import IndexOutdated, IndexRebuilding, SearchIndex, check_customer
from kustos.search.document import Document
from kustos.search.query.parser import parse_query
from kustos.search.ranking import RECENCY_STEPS, effective_sort, ranking_now
from kustos.search.snippets import SCAN_CHARS, Highlighter
from kustos.search.terms import VERSION
from kustos.search.types import (
    FACET_LIMITS,
    Facets,
    Hit,
    SearchRequest,
    SearchResult,
    visible_folders,
    visible_mailboxes,
)

_BATCH = 500
#: Share of all rows above which a date-sorted page walks the date index.
DENSE_SHARE = 0.1


class PostgresIndex(SearchIndex):
    """Contract: see SearchIndex. Call ``ensure_schema()`` once (idempotent) before use."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._write = psycopg.connect(dsn)
        self._local = threading.local()
        self._readers: list[psycopg.Connection[Any]] = []
        self._readers_lock = threading.Lock()
        self._bulk = False
        self._maintain_after_commit = False

    @property
    def _read(self) -> psycopg.Connection[Any]:
        # One autocommit connection per thread: searches run in transactions (SET LOCAL),
        # which must not interleave on a shared connection (threaded web servers).
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.dsn, autocommit=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def ensure_schema(self) -> None:
        """Create the table and its indexes if missing."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for statement in DDL:
                conn.execute(statement)

    def _set_bulk(self, on: bool) -> None:
        if self._bulk and not on:
            self._maintain_after_commit = True
        self._bulk = on

    def maintain(self) -> None:
        """VACUUM ANALYZE the table: flushes the GIN pending list and refreshes planner
        statistics (run after bulk loads: before it, p95 latency was 3x higher)."""
        self._read.execute(f"VACUUM (ANALYZE) {TABLE}")

    # -- writes -------------------------------------------------------------------
    def add(self, docs: Iterable[Document]) -> None:
        batch: list[tuple[Any, ...]] = []
        for doc in docs:
            doc.validate()
            check_customer(doc.customer)
            batch.append(row(doc))
            if len(batch) >= _BATCH:
                self._upsert(batch)
                batch = []
        if batch:
            self._upsert(batch)

    def _upsert(self, rows: list[tuple[Any, ...]]) -> None:
        with self._write.cursor() as cur:
            cur.executemany(UPSERT, rows)

    def delete(self, customer: str, ids: Iterable[str]) -> None:
        self._write.execute(
            f"DELETE FROM {TABLE} WHERE customer = %s AND id = ANY(%s)", (check_customer(customer), list(ids))
        )

    def clear(self, customer: str) -> None:
        self._write.execute(f"DELETE FROM {TABLE} WHERE customer = %s", (check_customer(customer),))

    def commit(self) -> None:
        if not self._bulk:
            self._write.commit()
            if self._maintain_after_commit:
                self._maintain_after_commit = False
                self.maintain()

    def rollback(self) -> None:
        self._write.rollback()
        self._maintain_after_commit = False

    def close(self) -> None:
        self._write.rollback()
        self._write.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()

    def set_rebuilding(self, customer: str, since: str | None) -> None:
        # Its own autocommit connection: other processes must see the mark at once, whatever
        # the write transaction holds.
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            if since is None:
                conn.execute(f"DELETE FROM {REBUILDING_TABLE} WHERE customer = %s", (check_customer(customer),))
            else:
                conn.execute(
                    f"INSERT INTO {REBUILDING_TABLE} (customer, since) VALUES (%s, %s) "
                    "ON CONFLICT (customer) DO UPDATE SET since = EXCLUDED.since",
                    (check_customer(customer), since),
                )

    # -- reads --------------------------------------------------------------------
    def count(self, customer: str) -> int:
        found = self._read.execute(
            f"SELECT count(*) FROM {TABLE} WHERE customer = %s", (check_customer(customer),)
        ).fetchone()
        return int(found[0]) if found else 0

    def search(self, request: SearchRequest) -> SearchResult:
        request.validate()
        check_customer(request.customer)
        ast = parse_query(request.query)
        condition, params = where(request, ast)
        ranking = rank_query(ast)
        with self._read.transaction():
            self._check_current(request.customer)
            if has_text(ast):
                # The planner underrates "tsv @@ q" per row (it de-toasts the vector) and picks
                # the date index or a sequential scan; GIN bitmap scans cost what matches.
                self._read.execute("SET LOCAL enable_seqscan = off")
                self._read.execute("SET LOCAL enable_indexscan = off")
            found = self._read.execute(f"SELECT count(*) FROM {TABLE} WHERE {condition}", params).fetchone()
            total = int(found[0]) if found else 0
            sort = effective_sort(request.sort, ast)
            if has_text(ast) and sort == "date" and self._dense(total):
                # Many matches: walking the date index meets 20 of them within a few rows.
                self._read.execute("SET LOCAL enable_indexscan = on")
            page = self._page_ids(request, sort, condition, params, ranking) if total and request.limit else []
            facets = self._facets(condition, params, request.mailbox_filter) if request.facets else None
        hits = self._hits(request, page, Highlighter(ast))
        return SearchResult(total, hits, facets)

    def _check_current(self, customer: str) -> None:
        """Raise IndexRebuilding while the customer's index is being rebuilt, IndexOutdated
        when rows of the customer were analysed by another version (uses the partial index
        of such rows, so it costs one index probe)."""
        marked = self._read.execute(
            f"SELECT since FROM {REBUILDING_TABLE} WHERE customer = %s", (customer,)
        ).fetchone()
        if marked is not None:
            raise IndexRebuilding(customer, marked[0])
        found = self._read.execute(
            f"SELECT analysis FROM {TABLE} WHERE customer = %s AND analysis <> %s LIMIT 1", (customer, VERSION)
        ).fetchone()
        if found is not None:
            raise IndexOutdated(customer, f"analysis {found[0]}", f"analysis {VERSION}")

    def _dense(self, total: int) -> bool:
        """Whether ``total`` matches are at least DENSE_SHARE of all rows (all customers:
        an underestimate of the share within the customer, so it errs towards bitmaps)."""
        found = self._read.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (TABLE,)
        ).fetchone()
        rows = float(found[0]) if found and found[0] and found[0] > 0 else 0.0
        return rows > 0 and total >= DENSE_SHARE * rows

    def _page_ids(
        self, request: SearchRequest, sort: str, condition: str, params: list[Any], ranking: str | None
    ) -> list[tuple[str, float]]:
        if sort in ("relevance", "best") and ranking is not None:
            score = "ts_rank_cd(tsv_all, %s::tsquery)"
            values: list[Any] = [ranking]
            if sort == "best":
                factor, factor_values = _recency_case(ranking_now())
                score = f"{score} * {factor}"
                values += factor_values
            sql = (
                f"SELECT id, {score} AS score FROM {TABLE} WHERE {condition} "
                "ORDER BY score DESC, date DESC, id LIMIT %s OFFSET %s"
            )
            values += [*params, request.limit, request.offset]
        else:
            sql = f"SELECT id, 0.0 FROM {TABLE} WHERE {condition} ORDER BY date DESC, id LIMIT %s OFFSET %s"
            values = [*params, request.limit, request.offset]
        return [(r[0], float(r[1])) for r in self._read.execute(sql, values).fetchall()]

    def _hits(self, request: SearchRequest, page: list[tuple[str, float]], highlighter: Highlighter) -> list[Hit]:
        # Wide columns (bodies) are read for the page's rows only, after ordering.
        if not page:
            return []
        rows = {
            r[0]: r
            for r in self._read.execute(
                f"SELECT id, date, subject, from_, size, has_attachment, mailboxes, folders, "
                f"left(body, {SCAN_CHARS}), left(attachment, {SCAN_CHARS}), restricted "
                f"FROM {TABLE} WHERE customer = %s AND id = ANY(%s)",
                (request.customer, [p[0] for p in page]),
            ).fetchall()
        }
        allowed = request.mailbox_filter
        hits = []
        for doc_id, score in page:
            r = rows[doc_id]
            hits.append(Hit(
                id=doc_id, score=float(score), date=r[1], snippet=highlighter.make(r[8], r[9], r[2]),
                subject=r[2], from_=r[3], size=int(r[4]), has_attachment=bool(r[5]),
                mailboxes=visible_mailboxes(r[6], allowed), folders=visible_folders(r[7], allowed),
                restricted=bool(r[10]),
            ))
        return hits

    def _facets(self, condition: str, params: list[Any], allowed: list[str] | None) -> Facets:
        """Every facet from one evaluation of the search condition (the matching rows' facet
        columns, materialised once), each cut to its FACET_LIMITS most frequent values."""
        def top(name: str, value: str, source: str, extra: str = "") -> str:
            return (f"(SELECT '{name}', {value}::text AS v, count(*) AS n FROM {source}{extra} "
                    f"GROUP BY v ORDER BY n DESC, v LIMIT {FACET_LIMITS[name]})")

        sql = (
            f"WITH m AS MATERIALIZED (SELECT folders, mailboxes, year, sender_domain, has_attachment "
            f"FROM {TABLE} WHERE {condition}) "
            + " UNION ALL ".join([
                top("folder", "f", "m, unnest(m.folders) AS f"),
                top("mailbox", "b", "m, unnest(m.mailboxes) AS b"),
                top("year", "year", "m"),
                top("sender_domain", "sender_domain", "m", " WHERE sender_domain <> ''"),
                "(SELECT 'has_attachment', '', count(*) FROM m WHERE has_attachment)",
            ])
        )
        found: dict[str, dict[str, int]] = {}
        for name, value, n in self._read.execute(sql, params).fetchall():
            found.setdefault(name, {})[value] = int(n)
        folders, mailboxes = found.get("folder", {}), found.get("mailbox", {})
        keep = set(visible_folders(list(folders), allowed))
        seen = set(visible_mailboxes(list(mailboxes), allowed))
        return Facets(
            folder={k: v for k, v in folders.items() if k in keep},
            year={int(k): v for k, v in found.get("year", {}).items()},
            sender_domain=found.get("sender_domain", {}),
            mailbox={k: v for k, v in mailboxes.items() if k in seen},
            has_attachment=found.get("has_attachment", {}).get("", 0),
        )


def _recency_case(now: datetime) -> tuple[str, list[Any]]:
    """The SQL factor of kustos.search.ranking (a CASE over the message date) and its params."""
    whens = []
    values: list[Any] = []
    for days, factor in sorted(RECENCY_STEPS):
        whens.append("WHEN date >= %s THEN %s::float8")
        values += [now - timedelta(days=days), factor]
    return "(CASE " + " ".join(whens) + " ELSE 1.0 END)", values
