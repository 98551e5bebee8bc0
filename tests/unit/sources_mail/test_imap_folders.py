"""Folder-name handling against real LIST/XLIST transcripts (MailKit's recorded sessions)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient.response_parser import parse_response

from kustos.sources.imap.folders import (
    FolderInfo,
    encode_folder,
    folder_from_list_entry,
    folder_path,
    select_folders,
)

TRANSCRIPTS = "api/imap-pop3-smtp-transcripts/mailkit/imap"


def list_entries(path: Path) -> list[FolderInfo]:
    """Parse the ``* LIST``/``* XLIST`` lines of a transcript as imapclient would."""
    folders: list[FolderInfo] = []
    for line in path.read_bytes().splitlines():
        for prefix in (b"* LIST ", b"* XLIST ", b"* LSUB "):
            if line.startswith(prefix):
                flags, delimiter, name = parse_response([line[len(prefix):]])
                folders.append(folder_from_list_entry(flags, delimiter, name))
    return folders


@pytest.fixture
def transcripts(corpus: Path) -> Path:
    return corpus / TRANSCRIPTS


def paths(folders: list[FolderInfo]) -> list[str]:
    return [folder.path for folder in folders]


def test_gmail_list_skips_nonexistent_parent_and_keeps_atom_names(transcripts: Path) -> None:
    folders = list_entries(transcripts / "gmail/list-all.txt")
    raw = {folder.raw: folder for folder in folders}
    assert raw["[Gmail]"].selectable is False  # \NonExistent
    assert raw["+Folder"].path == "+Folder"  # an atom, not a quoted string
    chosen = paths(select_folders(folders))
    assert "[Gmail]" not in chosen
    assert chosen[:2] == ["INBOX", "+Folder"]
    assert "[Gmail]/All Mail" in chosen and "[Gmail]/Sent Mail" in chosen


def test_gmail_xlist_noselect_and_inbox_case(transcripts: Path) -> None:
    folders = list_entries(transcripts / "gmail/xlist.txt")
    assert folders[0].raw == "Inbox" and folders[0].path == "INBOX"  # INBOX is case-insensitive
    assert [f.raw for f in folders if not f.selectable] == ["[Gmail]"]
    assert len(select_folders(folders)) == 8


def test_zoho_modified_utf7_is_decoded_and_round_trips(transcripts: Path) -> None:
    folders = list_entries(transcripts / "zoho/xlist.txt")
    by_raw = {folder.raw: folder for folder in folders}
    assert by_raw["Entw&APw-rfe"].path == "Entwürfe"
    assert encode_folder("Entwürfe", "/") == "Entw&APw-rfe"


def test_yandex_pipe_delimiter(transcripts: Path) -> None:
    folders = list_entries(transcripts / "yandex/xlist.txt")
    assert {folder.delimiter for folder in folders} == {"|"}
    assert "Drafts/template" in paths(folders)
    assert encode_folder("Drafts/template", "|") == "Drafts|template"


def test_dovecot_dot_delimiter_and_folder_named_nil(transcripts: Path) -> None:
    folders = list_entries(transcripts / "dovecot/list-personal.txt")
    assert {folder.delimiter for folder in folders} == {"."}
    assert "NIL" in paths(folders)  # the atom NIL here is a folder name, not "no value"
    assert "Sent Messages" in paths(folders)


def test_gmail_nested_levels(transcripts: Path) -> None:
    (folder,) = list_entries(transcripts / "gmail/list-level3.txt")
    assert folder.path == "Level1/Level2/Level3"


def test_yahoo_and_strato_inbox(transcripts: Path) -> None:
    assert paths(list_entries(transcripts / "yahoo/list-inbox.txt")) == ["INBOX"]
    strato = list_entries(transcripts / "strato.de/list-inbox.txt")
    assert strato[0].delimiter == "." and strato[0].path == "INBOX"


def test_every_transcript_list_line_parses(transcripts: Path) -> None:
    count = 0
    for path in sorted(transcripts.rglob("*list*.txt")):
        for folder in list_entries(path):
            assert folder.path and "\x00" not in folder.path
            count += 1
    assert count > 50


def test_slash_inside_dot_delimited_segment_is_not_a_level() -> None:
    assert folder_path("Projects.A/B", ".") == "Projects/A\u2215B"
    assert encode_folder("Projects/A\u2215B", ".") == "Projects.A/B"


def test_include_exclude_globs() -> None:
    folders = [folder_from_list_entry([], "/", name) for name in
               ("INBOX", "Archive/2020/Q1", "Archive/2021", "Spam", "Trash")]
    assert paths(select_folders(folders, include=["inbox", "archive/*"])) == \
        ["INBOX", "Archive/2020/Q1", "Archive/2021"]
    assert paths(select_folders(folders, exclude=["Spam", "Trash", "*/2020/*"])) == ["INBOX", "Archive/2021"]
    duplicated = folders + [folders[0]]
    assert len(select_folders(duplicated)) == len(folders)


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
                .filter(lambda s: "/" not in s and "." not in s), min_size=1, max_size=4))
def test_encode_then_decode_round_trips(segments: list[str]) -> None:
    path = "/".join(segments)
    if segments[0].upper() == "INBOX":
        path = "/".join(["INBOX", *segments[1:]])
    assert folder_path(encode_folder(path, "."), ".") == path
