"""PostgresIndex: full-text search in PostgreSQL (tsvector + GIN), all customers in one table.

Two connections: writes go through a transaction committed by ``commit()``; searches use
an autocommit connection so they see committed data only and a failed search cannot
abort pending writes. Not thread-safe: use one instance per thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from kustos.search.backends.postgres_query import rank_query, where
from kustos.search.backends.postgres_schema import DDL, TABLE, UPSERT, row
from kustos.search.backends.tantivy_facets import DOMAIN_BUCKETS
from kustos.search.base import SearchIndex, check_customer
from kustos.search.document import Document
from kustos.search.query.parser import parse_query
from kustos.search.snippets import fallback, mark_sentinels
from kustos.search.types import (
    Facets,
    Hit,
    SearchRequest,
    SearchResult,
    visible_folders,
    visible_mailboxes,
)

_START, _STOP = "\ue000", "\ue001"
_HEADLINE_OPTIONS = (
    # Fragment mode cuts too eagerly around matches; one cover of 15-35 words reads better.
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=35, MinWords=15'
)
#: ts_headline re-parses the text; bound the work per hit.
_HEADLINE_CHARS = 100_000
_BATCH = 500


class PostgresIndex(SearchIndex):
    """Contract: see SearchIndex. Call ``ensure_schema()`` once (idempotent) before use."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._write = psycopg.connect(dsn)
        self._read = psycopg.connect(dsn, autocommit=True)
        self._bulk = False

    def ensure_schema(self) -> None:
        """Create the table and its indexes if missing."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for statement in DDL:
                conn.execute(statement)

    def _set_bulk(self, on: bool) -> None:
        self._bulk = on

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

    def rollback(self) -> None:
        self._write.rollback()

    def close(self) -> None:
        self._write.rollback()
        self._write.close()
        self._read.close()

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
        found = self._read.execute(f"SELECT count(*) FROM {TABLE} WHERE {condition}", params).fetchone()
        total = int(found[0]) if found else 0
        hits = self._page(request, condition, params, ranking) if total and request.limit else []
        facets = self._facets(condition, params, request.mailbox_filter) if request.facets else None
        return SearchResult(total, hits, facets)

    def _page(self, request: SearchRequest, condition: str, params: list[Any], ranking: str | None) -> list[Hit]:
        if request.sort == "relevance" and ranking is not None:
            score = "ts_rank_cd(tsv_all, %s::tsquery)"
            score_params: list[Any] = [ranking]
            order = "score DESC, date DESC, id"
        else:
            score, score_params, order = "0.0", [], "date DESC, id"
        headline = "NULL::text"
        headline_params: list[Any] = []
        if ranking is not None:
            headline = "ts_headline('simple', left(body || E'\\n' || attachment, %s), %s::tsquery, %s)"
            headline_params = [_HEADLINE_CHARS, ranking, _HEADLINE_OPTIONS]
        sql = (
            f"SELECT id, score, date, subject, from_, size, has_attachment, mailboxes, folders, "
            f"left(body, 1000), {headline} FROM ("
            f"SELECT *, {score} AS score FROM {TABLE} WHERE {condition} "
            f"ORDER BY {order} LIMIT %s OFFSET %s) AS page ORDER BY {order}"
        )
        rows = self._read.execute(
            sql, [*headline_params, *score_params, *params, request.limit, request.offset]
        ).fetchall()
        allowed = request.mailbox_filter
        return [
            Hit(
                id=r[0], score=float(r[1]), date=r[2], snippet=_snippet(r[10], r[9], r[3]),
                subject=r[3], from_=r[4], size=int(r[5]), has_attachment=bool(r[6]),
                mailboxes=visible_mailboxes(r[7], allowed), folders=visible_folders(r[8], allowed),
            )
            for r in rows
        ]

    def _facets(self, condition: str, params: list[Any], allowed: list[str] | None) -> Facets:
        folders: dict[str, int] = dict(self._read.execute(
            f"SELECT f, count(*) FROM {TABLE}, unnest(folders) AS f WHERE {condition} GROUP BY f", params
        ).fetchall())
        years: dict[int, int] = dict(self._read.execute(
            f"SELECT year, count(*) FROM {TABLE} WHERE {condition} GROUP BY year", params
        ).fetchall())
        domains: dict[str, int] = dict(self._read.execute(
            f"SELECT sender_domain, count(*) AS n FROM {TABLE} WHERE {condition} AND sender_domain <> '' "
            f"GROUP BY sender_domain ORDER BY n DESC, sender_domain LIMIT {DOMAIN_BUCKETS}", params
        ).fetchall())
        keep = set(visible_folders(list(folders), allowed))
        return Facets(
            folder={k: int(v) for k, v in folders.items() if k in keep},
            year={int(k): int(v) for k, v in years.items()},
            sender_domain={k: int(v) for k, v in domains.items()},
        )


def _snippet(headline: str | None, body_head: str, subject: str) -> str:
    if headline and _START in headline:
        return mark_sentinels(headline, _START, _STOP)
    return fallback(body_head if body_head.strip() else subject)
