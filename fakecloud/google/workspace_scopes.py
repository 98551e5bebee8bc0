"""The OAuth scopes a Workspace backup (read) and restore (write) asks through domain-wide delegation."""

from __future__ import annotations

BACKUP_SCOPES = ["https://www.googleapis.com/auth/drive.readonly",
                 "https://www.googleapis.com/auth/calendar.readonly",
                 "https://www.googleapis.com/auth/contacts.readonly",
                 "https://www.googleapis.com/auth/tasks.readonly",
                 "https://www.googleapis.com/auth/drive",
                 "https://www.googleapis.com/auth/calendar",
                 "https://www.googleapis.com/auth/contacts",
                 "https://www.googleapis.com/auth/tasks",
                 "https://www.googleapis.com/auth/gmail.modify"]
# Mailbox cleanup: messages.trash (gmail.modify, above) and messages.delete (only the full scope).
CLEANUP_SCOPES = ["https://mail.google.com/"]
