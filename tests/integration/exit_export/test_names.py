"""File names of the exit export: safe on Windows and Linux, unique (also case-insensitively),
stable, and unchanged where nothing needed changing."""

from __future__ import annotations

from datetime import UTC, datetime

from kustos.archive.exit_export import names

FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)}


def _safe(segment: str) -> bool:
    return (not (set(segment) & FORBIDDEN) and segment == segment.rstrip(" .") and 0 < len(segment) <= 60
            and segment.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"})


def test_plain_names_stay_and_unsafe_ones_are_replaced_with_a_stable_tag():
    assert names.segment("INBOX") == "INBOX"
    assert names.segment("anna@kunde.example") == "anna@kunde.example"
    for raw in ("Kunden: A|B?", "CON", "aux.txt", "trailing. ", "..", "", "tab\there", "x" * 200, "a/b", "Ümläut*"):
        seg = names.segment(raw)
        assert _safe(seg), (raw, seg)
        assert seg == names.segment(raw)  # stable
    assert names.segment("Kunden: A|B?") != names.segment("Kunden_ A_B_")  # the tag keeps them apart
    assert names.segment("Ümläut") == "Ümläut"  # letters of any script are kept


def test_folder_directories_are_unique_case_insensitively():
    dirs = names.folder_dirs(["INBOX", "Inbox", "Projekte/2024", "a:b", "a_b", ""])
    assert dirs["Projekte/2024"] == "Projekte/2024"
    assert dirs[""] == names.NO_FOLDER
    assert len({d.casefold() for d in dirs.values()}) == len(dirs)
    assert dirs["INBOX"].startswith("INBOX~") and dirs["Inbox"].startswith("Inbox~")
    boxes = names.mailbox_dirs(["Anna@x.example", "anna@x.example", "bernd@x.example"])
    assert len({d.casefold() for d in boxes.values()}) == 3 and boxes["bernd@x.example"] == "bernd@x.example"


def test_message_file_names_carry_the_date_and_the_archive_id():
    when = datetime(2024, 6, 1, 8, 30, 5, tzinfo=UTC)
    assert names.message_file("ms_abc", when) == "2024-06-01_083005_ms_abc.eml"
    assert names.message_file("ms_abc", None, "contact") == "0000-00-00_000000_ms_abc.vcf"
