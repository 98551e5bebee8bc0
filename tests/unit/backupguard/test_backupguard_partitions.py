"""Per-object baselines (an org judged object by object): a normal day of updates stays quiet, a mass
update or mass deletion of one object is found for that object only, a large object's churn does not
hide a small object's mass deletion, and records never trigger the file rules (renames, extensions,
entropy)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from kustos.backupguard import (
    MASS_DELETION,
    MASS_MODIFICATION,
    Change,
    ChangeSet,
    PartBaselines,
    assess,
    assess_parts,
)

DAY0 = date(2026, 11, 2)
ORG = "data:00Dorg"


def day(i: int) -> str:
    return (DAY0 + timedelta(days=i)).isoformat()


def records(obj: str, op: str, ids: range) -> list[Change]:
    return [Change(op, f"{obj}/{obj[:3]}{i:06d}.json", kind="record", size=300, entropy=5.1, sample_size=300)
            for i in ids]


def org_changes(*groups: list[Change]) -> ChangeSet:
    return ChangeSet.build(ORG, sum(SIZES.values()), [c for g in groups for c in g])


SIZES = {"Account": 300, "Contact": 900, "Opportunity": 70}


def calm_week(start: int = 0, days: int = 6) -> PartBaselines | None:
    baseline = None
    for i in range(start, start + days):
        cs = org_changes(records("Account", "modified", range(i, i + 12)),
                         records("Contact", "modified", range(i, i + 30)))
        result = assess_parts(cs, SIZES, baseline, day(i))
        assert result.findings == [], (i, result.findings)
        baseline = result.baseline
    return baseline


def test_a_normal_day_of_updates_in_one_object_raises_nothing() -> None:
    baseline = calm_week()
    assert baseline is not None and set(baseline.parts) == {"Account", "Contact", "Opportunity"}
    busy = org_changes(records("Contact", "modified", range(0, 60)))  # a busier day, still normal
    assert assess_parts(busy, SIZES, baseline, day(6)).findings == []


def test_a_mass_update_of_one_object_is_found_for_that_object_only() -> None:
    baseline = calm_week()
    attack = org_changes(records("Account", "modified", range(0, 240)), records("Contact", "modified", range(0, 25)))
    findings = assess_parts(attack, SIZES, baseline, day(6)).findings
    assert [(f.kind, f.part) for f in findings] == [(MASS_MODIFICATION, "Account")]
    f = findings[0]
    assert f.count == 240 and f.severity == "critical" and f.account == ORG
    assert f.detail.startswith("240 of 300 records of Account (80%) modified today")
    assert f.to_dict()["part"] == "Account"


def test_a_mass_deletion_of_one_object_is_found_on_the_first_comparison() -> None:
    cs = org_changes(records("Opportunity", "deleted", range(60)), records("Account", "modified", range(5)))
    findings = assess_parts(cs, SIZES, None, day(0)).findings
    assert [(f.kind, f.part, f.count) for f in findings] == [(MASS_DELETION, "Opportunity", 60)]
    assert findings[0].detail == ("60 of 70 records of Opportunity (86%) deleted in one run "
                                  "(more than 30% with at least 50 records)")


def test_a_large_objects_churn_does_not_hide_a_small_objects_mass_deletion() -> None:
    sizes = {"Task": 20000, "Contract": 80}
    whole, parts = None, None
    for i in range(6):  # Task: 2 000 updates and 400 deletions a day are normal
        cs = ChangeSet.build(ORG, 20080, records("Task", "modified", range(0, 2000)) +
                             records("Task", "deleted", range(i * 400, i * 400 + 400)))
        whole = assess(cs, whole, day(i)).baseline
        result = assess_parts(cs, sizes, parts, day(i))
        assert result.findings == []
        parts = result.baseline
    attack = ChangeSet.build(ORG, 20080, records("Task", "modified", range(0, 2000)) +
                             records("Task", "deleted", range(5000, 5400)) + records("Contract", "deleted", range(75)))
    # Judged as one account the 75 lost contracts drown in the tasks' normal churn ...
    assert assess(attack, whole, day(6)).findings == []
    # ... judged per object they are a mass deletion of Contract.
    findings = assess_parts(attack, sizes, parts, day(6)).findings
    assert [(f.kind, f.part, f.count) for f in findings] == [(MASS_DELETION, "Contract", 75)]
    assert "75 of 80 records of Contract" in findings[0].detail


def test_each_object_learns_its_own_normal() -> None:
    sizes = {"Lead": 200, "Case": 200}
    baseline = None
    for i in range(6):  # every lead is touched every day (an import job); cases barely change
        cs = ChangeSet.build(ORG, 400, records("Lead", "modified", range(0, 180)) +
                             records("Case", "modified", range(i, i + 4)))
        result = assess_parts(cs, sizes, baseline, day(i))
        baseline = result.baseline
    same = ChangeSet.build(ORG, 400, records("Lead", "modified", range(0, 180)) + records("Case", "modified",
                                                                                            range(0, 150)))
    findings = assess_parts(same, sizes, baseline, day(6)).findings
    assert [(f.kind, f.part) for f in findings] == [(MASS_MODIFICATION, "Case")]


def test_records_never_trigger_rename_extension_or_entropy_rules() -> None:
    odd = [Change("deleted", f"Note/n{i}.json", kind="record", size=300) for i in range(30)]
    odd += [Change("added", f"Note/n{i}.json.locked", kind="record", size=300, entropy=7.9, sample_size=4096)
            for i in range(30)]
    odd += [Change("modified", f"Note/m{i}.json", kind="record", size=4096, entropy=7.95, sample_size=4096,
                   previous_entropy=4.0) for i in range(30)]
    cs = ChangeSet.build(ORG, 400, odd)
    assert len(cs.deleted) == 30 and len(cs.added) == 30 and not any(c.renamed for c in cs.changes)
    result = assess_parts(cs, {"Note": 400}, None, day(0))
    assert result.findings == []
    assert result.baseline.parts["Note"].days[-1].ext_changed == 0
    assert result.baseline.parts["Note"].days[-1].encrypted == 0
    # The same changes as files are ransomware.
    as_files = ChangeSet.build(ORG, 400, [Change(c.op, c.path, "file", c.size, c.entropy, c.sample_size,
                                                 c.previous_entropy) for c in odd])
    assert {f.kind for f in assess(as_files, None, day(0)).findings} >= {"extension_change", "encrypted_content"}


def test_part_baselines_round_trip_and_refuse_bad_input() -> None:
    baseline = calm_week(days=2)
    assert baseline is not None
    text = json.dumps(baseline.to_dict())
    again = PartBaselines.from_dict(json.loads(text))
    assert again.to_dict() == baseline.to_dict()
    gone = assess_parts(org_changes(), {"Account": 300}, again, day(3)).baseline
    assert set(gone.parts) == {"Account"}  # objects that no longer exist are forgotten
    with pytest.raises(ValueError, match="per-part baseline"):
        PartBaselines.from_dict({"v": 1, "account": ORG, "days": []})
    with pytest.raises(ValueError, match="baseline of part 'Account'"):
        PartBaselines.from_dict({"v": 1, "account": ORG, "parts": {"Account": {"v": 1}}})
    with pytest.raises(ValueError, match="given for account"):
        assess_parts(ChangeSet.build("other", 0, []), {}, baseline, day(3))


def test_a_part_of_files_counts_files_and_keeps_the_file_rules() -> None:
    deleted = [Change("deleted", f"classes/C{i}.cls", kind="file", size=900) for i in range(60)]
    cs = ChangeSet.build("metadata:00Dorg", 80, deleted + records("Account", "modified", range(3)))
    findings = assess_parts(cs, {"classes": 70, "Account": 10}, None, day(0)).findings
    assert [(f.kind, f.part) for f in findings] == [(MASS_DELETION, "classes")]
    assert findings[0].detail.startswith("60 of 70 files of classes (86%) deleted in one run")
    assert findings[0].detail.endswith("(more than 30% with at least 50 files)")
