"""Customer exit export (issue 19.3): the whole archive of one customer as a directory a recipient
reads without Kustos — ``.eml`` files in their mailbox/folder tree, ``index.csv``, the evidence
(Merkle proofs, RFC 3161 tokens and renewals, TSA certificates), the customer's audit log, a
README (English and German), ``verify.py`` and ``MANIFEST.sha256`` (written last).

Modules: ``names`` (file names safe on Windows and Linux), ``files`` (atomic, resumable writes and
the manifest), ``mail`` (messages and the index), ``evidence``, ``auditlog``, ``texts`` (README and
the offline checker), ``service`` (the run, who may, the job), ``jobs`` (the huey handler),
``zipstream`` (the download of a finished export)."""
