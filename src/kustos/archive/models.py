"""Archive data model (mailboxes, folders, messages); filled in by the archive issue."""
