"""Microsoft 365 / Exchange Online mail archiving through Microsoft Graph (app-only)."""

from kustos.sources.graph.connector import GraphMailConnector

__all__ = ["GraphMailConnector"]
