"""A long ingest run keeps a bounded list of new message ids, and always its sequence range."""

from kustos.archive.pipeline.contract import KEPT_IDS, BatchResult


def test_a_short_run_names_every_new_message():
    result = BatchResult()
    for n in range(5):
        result.add_new(f"ms{n}", 100 + n)
    assert result.message_ids == [f"ms{n}" for n in range(5)]
    assert result.ids_complete and result.imported == 5
    assert (result.seq_from, result.seq_to, result.last_id) == (100, 104, "ms4")


def test_a_long_run_keeps_the_first_ids_and_the_whole_range():
    result = BatchResult()
    total = KEPT_IDS + 2500
    for n in range(total):
        result.add_new(f"ms{n}", 7 + n)
    assert len(result.message_ids) == KEPT_IDS and result.message_ids[0] == "ms0"
    assert result.imported == total and not result.ids_complete
    assert (result.seq_from, result.seq_to, result.last_id) == (7, 7 + total - 1, f"ms{total - 1}")
