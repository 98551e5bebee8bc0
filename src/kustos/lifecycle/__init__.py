"""The archive's compliance lifecycle: retention, approved deletion, tombstones, legal holds,
GDPR requests and ingest exclusion rules (COMPLIANCE.md requirements 8–13, 22–24)."""
