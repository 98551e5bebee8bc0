"""IMAP pull source: :class:`ImapConnector`, folder-name handling and CSV bulk-add."""

from kustos.sources.imap.bulk import MailboxCsvError, parse_mailbox_csv
from kustos.sources.imap.connection import ConfigurationInvalid, ImapSettings
from kustos.sources.imap.connector import ImapConnector
from kustos.sources.imap.expunge import ExpungeUnsupported
from kustos.sources.imap.folders import FolderInfo, folder_from_list_entry, folder_path, select_folders

__all__ = [
    "ConfigurationInvalid",
    "ExpungeUnsupported",
    "FolderInfo",
    "ImapConnector",
    "ImapSettings",
    "MailboxCsvError",
    "folder_from_list_entry",
    "folder_path",
    "parse_mailbox_csv",
    "select_folders",
]
