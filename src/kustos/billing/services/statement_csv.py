"""The billing statement as CSV: UTF-8, a header row with the columns of ``statement.COLUMNS``,
decimals with a dot, dates ISO; the rows in the statement's (deterministic) order."""

from __future__ import annotations

import csv
import io

from kustos.billing.services.statement import COLUMNS, Statement


def render(st: Statement) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in st.rows:
        writer.writerow(row.values())
    return out.getvalue()


def to_bytes(st: Statement) -> bytes:
    return render(st).encode("utf-8")


def filename(st: Statement) -> str:
    scope = st.partner.id if st.partner is not None else "all"
    return f"kustos-billing-{st.month}-{scope}.csv"
