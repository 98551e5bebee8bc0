"""Query language: lexer, parser, AST. ``HELP`` is the user-facing reference."""

HELP = """\
Words            invoice müller        all words must occur (case-insensitive)
Phrase           "die Rechnung"        words adjacent, in this order
Prefix           invoi*                words starting with "invoi"
Fields           from: to: cc: bcc: subject: body: attachment: (names and text)
                 from:alice@example.com   subject:"quarterly report"   from:(alice OR bob)
Attachments      has:attachment
Folder           folder:INBOX  folder:INBOX/Projects  folder:Arch*  (your own mailboxes' folders)
Mailbox          mailbox:alice@example.com
Dates (UTC)      date:2024  date:2024-03  date:2024-03-31  date:2024-01-01..2024-03-31
                 date:2024-01..  before:2024-03-01 (excluded)  after:2024-03-01 (included)
                 German dates work too: date:31.03.2024
Size             size:>1MB  size:<10k  size:>=500k  size:10k..2M
Operators        a b = a AND b;  a OR b;  NOT a, -a;  ( ) group.  NOT binds tighter
                 than AND, AND tighter than OR: a OR b c means a OR (b AND c)
Everything       empty query or *
"""
