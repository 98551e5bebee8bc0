"""Detector on generated accounts: normal days stay quiet, ransomware, mass deletion and
in-place encryption are found; baselines adapt to busy accounts and round-trip through JSON."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest

from kustos.backupguard import (
    ENCRYPTED_CONTENT,
    EXTENSION_CHANGE,
    MASS_DELETION,
    MASS_MODIFICATION,
    Baseline,
    Change,
    ChangeSet,
    assess,
)
from tests.unit.backupguard.guard_data import Account, measure, noise, text

DAY0 = date(2026, 11, 2)


def day(i: int) -> str:
    return (DAY0 + timedelta(days=i)).isoformat()


def test_normal_working_day_raises_nothing_on_the_first_run() -> None:
    acct = Account(400)
    cs = acct.normal_day()
    assert len(cs.modified) == 36 + 3 + 1 and len(cs.added) == 9 and len(cs.deleted) == 4
    renamed = [c for c in cs.modified if c.renamed]
    assert [c.previous_extension + ">" + c.extension for c in renamed] == ["txt>md"]
    result = assess(cs, None, day(0))
    assert result.findings == []
    day_stats = result.baseline.days[-1]
    assert (day_stats.modified, day_stats.deleted, day_stats.ext_changed, day_stats.encrypted) == (40, 4, 1, 0)


def test_a_week_of_normal_days_raises_nothing() -> None:
    acct, baseline = Account(400, seed=2), None
    for i in range(10):
        result = assess(acct.normal_day(edits=20 + i * 3), baseline, day(i))
        assert result.findings == [], (i, result.findings)
        baseline = result.baseline


def test_ransomware_run_raises_encryption_extension_and_mass_modification() -> None:
    acct = Account(400, seed=3)
    baseline = assess(acct.normal_day(), None, day(0)).baseline
    result = assess(acct.ransomware(0.9), baseline, day(1))
    by_kind = {f.kind: f for f in result.findings}
    assert set(by_kind) == {ENCRYPTED_CONTENT, EXTENSION_CHANGE, MASS_MODIFICATION}
    assert by_kind[MASS_MODIFICATION].count == 364 and by_kind[MASS_MODIFICATION].severity == "critical"
    assert "364 of 405 files (90%) modified in one run" in by_kind[MASS_MODIFICATION].detail
    ext = by_kind[EXTENSION_CHANGE]
    assert ext.severity == "critical" and "known ransomware extension: .locked (364)" in ext.detail
    assert "364 of 405 files renamed to the same new extension .locked" in ext.detail
    # docx and jpg were high-entropy before: only the documents count as newly encrypted.
    enc = by_kind[ENCRYPTED_CONTENT]
    assert enc.severity == "critical" and 200 < enc.count < 364
    assert enc.detail.startswith(f"{enc.count} modified files now look encrypted (7.9")
    assert result.baseline.days[-1].flagged == [MASS_MODIFICATION, EXTENSION_CHANGE, ENCRYPTED_CONTENT]


def test_ransomware_with_an_unknown_extension_is_still_caught_by_the_same_new_extension() -> None:
    acct = Account(400, seed=4)
    result = assess(acct.ransomware(0.5, suffix="qwxz7"), None, day(0))
    ext = next(f for f in result.findings if f.kind == EXTENSION_CHANGE)
    assert ext.severity == "high" and ext.detail == "200 of 400 files renamed to the same new extension .qwxz7"
    assert {f.kind for f in result.findings} == {EXTENSION_CHANGE, ENCRYPTED_CONTENT, MASS_MODIFICATION}


def test_mass_deletion() -> None:
    acct = Account(400, seed=5)
    result = assess(acct.delete(200), None, day(0))
    assert [(f.kind, f.severity, f.count) for f in result.findings] == [(MASS_DELETION, "high", 200)]
    assert result.findings[0].detail == ("200 of 400 files (50%) deleted in one run "
                                         "(more than 30% with at least 50 files)")
    assert assess(acct.delete(190), result.baseline, day(1)).findings[0].severity == "critical"


def test_floors_need_both_share_and_count() -> None:
    small = Account(60, seed=6)
    assert assess(small.delete(40), None, day(0)).findings == []  # 67% but fewer than 50 files
    big = Account(1000, seed=6)
    assert assess(big.delete(250), None, day(0)).findings == []  # 250 files but 25%


def test_in_place_encryption_keeping_names_is_encrypted_content() -> None:
    acct = Account(400, seed=7)
    result = assess(acct.encrypt_in_place(12), None, day(0))
    assert [(f.kind, f.count) for f in result.findings] == [(ENCRYPTED_CONTENT, 12)]
    assert assess(Account(400, seed=7).encrypt_in_place(4), None, day(0)).findings == []


def test_previous_entropy_decides_for_types_the_name_does_not_tell() -> None:
    rng = random.Random(8)
    low, sample = measure(text(rng))
    high, _ = measure(noise(rng))
    new, new_sample = measure(noise(rng))

    def run(prev: float | None, ext: str) -> set[str]:
        changes = [Change("modified", f"data/f{i}.{ext}", size=6000, entropy=new, sample_size=new_sample,
                          previous_entropy=prev) for i in range(10)]
        return assess(ChangeSet.build("anna", 1000, changes), None, day(0)).kinds

    assert run(low, "dat") == {ENCRYPTED_CONTENT}      # was document-like: encrypted now
    assert run(high, "dat") == set()                   # was already random (e.g. a key store)
    assert run(low, "docx") == {ENCRYPTED_CONTENT}     # measured history beats the type guess
    assert run(None, "docx") == set()                  # zip-based office file: high by nature
    assert run(None, "dat") == {ENCRYPTED_CONTENT}
    assert low < 6 and sample == 6000


def test_busy_account_normal_day_is_quiet_after_a_week_of_baseline() -> None:
    acct, baseline = Account(1000, seed=9), None
    rng = random.Random(9)
    for i in range(7):
        result = assess(acct.busy_day(rng.uniform(0.36, 0.46)), baseline, day(i))
        baseline = result.baseline
        # The floor alarms until five days are known; then the account's own statistics rule.
        assert result.kinds == ({MASS_MODIFICATION} if i < 5 else set()), i
    assert baseline is not None
    saved = baseline.to_json()
    normal = assess(acct.busy_day(0.44), Baseline.from_json(saved), day(7))
    assert normal.findings == []
    # The same account under attack still alarms, now through its own statistics.
    attacked = assess(acct.ransomware(0.95), Baseline.from_json(saved), day(7))
    mass = next(f for f in attacked.findings if f.kind == MASS_MODIFICATION)
    assert "modified today; usually 4" in mass.detail and "over 7 days" in mass.detail
    # A quiet account with the same baseline length alarms on what is normal for the busy one.
    quiet, qbase = Account(1000, seed=10), None
    for i in range(7):
        qbase = assess(quiet.busy_day(rng.uniform(0.01, 0.03)), qbase, day(i)).baseline
    hit = assess(quiet.busy_day(0.20), qbase, day(7))
    assert hit.kinds == {MASS_MODIFICATION} and "z = " in hit.findings[0].detail


def test_runs_of_one_day_add_up_in_the_baseline() -> None:
    acct, baseline = Account(400, seed=11), None
    for i in range(6):
        baseline = assess(acct.normal_day(), baseline, day(i)).baseline
    assert baseline is not None
    first = assess(acct.delete(25), baseline, day(6))
    assert first.findings == [] and len(first.baseline.days) == 7
    second = assess(acct.delete(25), first.baseline, day(6))
    assert len(second.baseline.days) == 7 and second.baseline.days[-1].deleted == 50
    assert second.baseline.days[-1].runs == 2
    assert second.kinds == {MASS_DELETION} and "50 of 430 files (12%) deleted today" in second.findings[0].detail


def test_baseline_round_trips_through_json_and_input_is_not_modified() -> None:
    acct, baseline = Account(400, seed=12), None
    for i in range(4):
        baseline = assess(acct.normal_day(), baseline, day(i)).baseline
    baseline = assess(acct.ransomware(0.6), baseline, day(4)).baseline
    assert baseline is not None
    text_form = baseline.to_json()
    assert len(text_form) < 2000
    again = Baseline.from_json(text_form)
    assert again == baseline and again.to_dict() == json.loads(text_form)
    before = baseline.to_json()
    assess(acct.delete(300), baseline, day(5))
    assert baseline.to_json() == before


def test_baseline_keeps_a_bounded_window() -> None:
    acct, baseline = Account(100, seed=13), None
    for i in range(40):
        baseline = assess(acct.busy_day(0.02), baseline, day(i)).baseline
    assert baseline is not None and len(baseline.days) == 28 and baseline.runs == 40
    assert baseline.days[0].day == day(12)


@pytest.mark.parametrize(("text_form", "message"), [
    ("{", "invalid backup baseline: not JSON"),
    ("[]", "invalid backup baseline: expected an object"),
    ('{"v": 1, "account": "a", "days": {}}', "\"days\" a list"),
    ('{"v": 1, "account": "a", "days": [{"day": "2026-01-01", "deleted": -1}]}', "negative count"),
    ('{"v": 1, "account": "a", "days": [{"day": "2026-01-01", "modified": "many"}]}', "invalid backup baseline of 'a'"),
])
def test_bad_baselines_are_refused_with_one_line(text_form: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        Baseline.from_json(text_form)
    assert "\n" not in str(err.value)


def test_bad_input_is_refused() -> None:
    cs = ChangeSet.build("anna", 10, [])
    with pytest.raises(ValueError, match="invalid run day 'yesterday'"):
        assess(cs, None, "yesterday")
    with pytest.raises(ValueError, match="baseline of 'ben' given for account 'anna'"):
        assess(cs, Baseline("ben"), day(0))
    with pytest.raises(ValueError, match="invalid change op 'renamed'"):
        Change("renamed", "a.txt")
    with pytest.raises(ValueError, match="bits per byte lie in 0..8"):
        Change("added", "a.txt", entropy=9.0)


def test_a_run_dated_before_the_newest_day_counts_into_that_day() -> None:
    acct = Account(100, seed=14)
    later = assess(acct.delete(3), None, day(3)).baseline
    late = assess(acct.delete(2), later, day(2)).baseline
    assert [(d.day, d.deleted, d.runs) for d in late.days] == [(day(3), 5, 2)]


def test_an_attack_day_does_not_teach_the_baseline() -> None:
    acct, baseline = Account(1000, seed=15), None
    for i in range(6):
        baseline = assess(acct.delete(5), baseline, day(i)).baseline
    attack = assess(acct.delete(400), baseline, day(6))
    assert attack.kinds == {MASS_DELETION} and attack.baseline.days[-1].flagged == [MASS_DELETION]
    # The next day another 100 deletions (16%) are still far from the calm days' 0.5%.
    again = assess(acct.delete(100), attack.baseline, day(7))
    assert again.kinds == {MASS_DELETION} and "over 6 days" in again.findings[0].detail


def test_renames_pair_deletions_with_additions_in_the_same_folder() -> None:
    changes = [Change("deleted", "a/report.docx"), Change("added", "a/report.docx.id-42.[x@y].crypt", entropy=7.9),
               Change("deleted", "a/plan.xlsx", previous_entropy=7.5), Change("added", "a/plan.locked"),
               Change("deleted", "b/notes.txt"), Change("added", "c/notes.txt.locked"),
               Change("added", "a/folder", kind="folder")]
    cs = ChangeSet.build("anna", 10, changes)
    pairs = {c.path: (c.previous_path, c.previous_entropy) for c in cs.modified}
    assert pairs == {"a/report.docx.id-42.[x@y].crypt": ("a/report.docx", None), "a/plan.locked": ("a/plan.xlsx", 7.5)}
    assert [c.path for c in cs.added] == ["c/notes.txt.locked"] and [c.path for c in cs.deleted] == ["b/notes.txt"]
    assert cs.modified[0].previous_extension == "docx" and cs.modified[0].extension == "crypt"
    unpaired = ChangeSet.build("anna", 10, changes, pair_renames=False)
    assert len(unpaired.deleted) == 3 and len(unpaired.changes) == 6


def test_finding_as_dict() -> None:
    finding = assess(Account(400, seed=16).delete(200), None, day(0)).findings[0]
    assert finding.to_dict() == {"account": "anna", "kind": MASS_DELETION, "severity": "high", "count": 200,
                                 "detail": finding.detail}
