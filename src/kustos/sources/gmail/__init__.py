"""Google Workspace mail archiving through the Gmail API (service account, domain-wide delegation)."""

from kustos.sources.gmail.connector import GmailConnector
from kustos.sources.gmail.errors import HistoryExpired, MailboxUnavailable

__all__ = ["GmailConnector", "HistoryExpired", "MailboxUnavailable"]
