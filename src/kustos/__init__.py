"""Kustos: e-mail archiving and cloud-to-cloud backup for managed-service providers."""

__version__ = "0.1.0"
