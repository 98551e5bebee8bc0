"""Google Workspace mail archiving through the Gmail API (service account, domain-wide delegation)."""

from kustos.sources.gmail.connector import GmailConnector

__all__ = ["GmailConnector"]
