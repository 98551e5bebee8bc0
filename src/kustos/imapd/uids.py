"""UIDs and UIDVALIDITY of the IMAP server, and why a syncing client never misses a message.

A message's UID is the id of its ``MessageRef`` (one per message and folder); a folder's UIDVALIDITY
starts as the folder's id. A syncing client remembers the highest UID it has seen and later asks
only for UIDs above it (RFC 3501 2.3.1.1, RFC 4549). So a message that becomes visible in a folder
with a UID *below* one the client has already seen would never be fetched, unless UIDVALIDITY
changes, which makes the client throw its state away and sync the folder again. Two ways a folder
can gain a message below its highest visible UID, and what rules them out:

1. Visibility widens over messages already archived: a GDPR restriction lifted, an auditor grant
   given or widened, a message flagged tax-relevant for a grant limited to such mail. Each writes an
   audit event; ``accounts.access.visibility_generation`` counts the ones that concern the user, and
   ``uidvalidity`` folds that count into the value, so it changes with every such change (and only
   for the users it can concern: for a user who sees everything it stays the folder id).
   A new path that widens visibility calls ``accounts.access.visibility_widened``.

2. A reference committed late: on PostgreSQL ids come from a sequence when a row is inserted, so a
   transaction that draws id 104 and commits after another one that drew 105 would expose 104
   below 105. Every path that creates references (``RecordStep`` of the ingest pipeline,
   ``recover.rebuild_database``) first takes the customer's ``IngestCounter`` row lock
   (``select_for_update``, held until commit) in the same transaction, so the reference-creating
   transactions of one customer run one after another and draw ids in commit order; a folder
   belongs to one customer. (SQLite serialises every writer anyway.) No settle delay is needed, so
   newly archived mail is listed at once.

Clients that honour a UIDVALIDITY change (RFC 3501 / RFC 4549, e.g. Thunderbird, an imaplib sync)
re-sync the folder and get the message. isync/mbsync 1.4.4 does not: it compares the Message-IDs
at the UIDs it pulled before, finds them unchanged (UIDs here never move), reports "Recovered
from change of UIDVALIDITY", keeps its state and pulls only UIDs above its highest, so a message
that appears below it still stays behind for mbsync. Serving such clients needs a fresh UID above
the folder's highest for the newly visible message (a new reference row), not done here.

The value grows by ``STRIDE`` per generation (modulo 2^32, never 0), as RFC 3501 asks of a new
UIDVALIDITY until it wraps after tens of thousands of widenings of one customer's archive.
"""

from __future__ import annotations

STRIDE = 65_537
MODULUS = 2**32 - 1  # UIDVALIDITY is a non-zero 32-bit number


def uidvalidity(folder_id: int, generation: int) -> int:
    """The folder's UIDVALIDITY for a user whose visibility generation is ``generation``
    (generation 0: the folder id, as before any widening)."""
    if folder_id < 1 or generation < 0:
        raise ValueError(f"folder id must be positive and generation not negative, got {folder_id}, {generation}")
    return (folder_id - 1 + generation * STRIDE) % MODULUS + 1
