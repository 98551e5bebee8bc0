"""Archive models: messages and their references (messages.py), sources and journaling (sources.py)."""

from kustos.archive.models.cleanup import MailboxCleanupMark, MailboxCleanupRun
from kustos.archive.models.messages import Folder, IngestCounter, Mailbox, Message, MessageRef, Quarantine
from kustos.archive.models.ocr import OcrAttachment
from kustos.archive.models.sources import JournalEndpoint, Source
from kustos.archive.models.uploads import Upload

__all__ = ["Folder", "IngestCounter", "JournalEndpoint", "Mailbox", "MailboxCleanupMark", "MailboxCleanupRun", "Message", "MessageRef", "OcrAttachment", "Quarantine", "Source", "Upload"]
