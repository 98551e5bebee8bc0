"""Microsoft 365 / Exchange Online mail archiving through Microsoft Graph (app-only)."""

from kustos.sources.graph.connector import GraphMailConnector
from kustos.sources.graph.errors import MailboxUnavailable, SyncStateLost

__all__ = ["GraphMailConnector", "MailboxUnavailable", "SyncStateLost"]
