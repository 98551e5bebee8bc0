"""Property: any sequence of puts/commits/aborts reads back exactly what was committed."""

from __future__ import annotations

import io
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kustos.vault.factory import open_vault
from tests.unit.vault.vault_helpers import SMALL, make_settings

blobs = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda seed, n: (bytes([seed]) * 7 + bytes(range(256))) * n, st.integers(0, 255), st.integers(1, 700)),
)
ops = st.lists(st.tuples(st.sampled_from(["put", "stream", "commit", "abort"]), blobs,
                         st.sampled_from([None, 2030, 2031])), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_committed_puts_read_back_exactly(sequence: list[tuple[str, bytes, int | None]]) -> None:
    with TemporaryDirectory() as tmp:
        vault = open_vault(make_settings(Path(tmp), vault_url="memory://prop-" + Path(tmp).name), SMALL)
        store = vault.store("acme")
        staged: dict[str, bytes] = {}
        committed: dict[str, bytes] = {}
        for op, data, year in sequence:
            if op in ("put", "stream"):
                res = store.put(data if op == "put" else io.BytesIO(data), "file", retention_year=year)
                assert res.size == len(data)
                staged[res.id] = data
            elif op == "commit":
                store.commit()
                committed.update(staged)
                staged.clear()
            else:
                store.abort()
                staged = {k: v for k, v in staged.items() if k in committed}
        store.commit()
        committed.update(staged)
        fresh = open_vault(make_settings(Path(tmp), vault_url="memory://prop-" + Path(tmp).name,
                                         master_key=vault.keys.master.hex()), SMALL).store("acme")
        for oid, data in committed.items():
            assert fresh.get(oid) == data
            assert fresh.open(oid).read() == data
        assert vault.verify().ok
