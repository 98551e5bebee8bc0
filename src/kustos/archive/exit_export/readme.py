"""README.txt of the exit export, for the recipient: English, then German."""

from __future__ import annotations

from typing import Any

EN = """KUSTOS ARCHIVE EXPORT — {name} ({customer})
Created {created} by Kustos. {messages} messages in {files} message files, {batches} time-stamped
ledger batches, {events} audit events. Everything here is readable without Kustos.

LAYOUT
  mail/<mailbox>/<folder>/<date>_<archive id>.eml
      The original bytes of every archived message exactly as received (also .vcf/.ics for
      contacts, appointments and tasks). A message that was filed in several folders is in each
      of them, so every folder is complete on its own; the copies are identical (same SHA-256)
      and share the archive id. The date in the name is the message's Date header in UTC (the
      archiving time when it had none). "<...>.original.msg" beside a message is the Outlook file
      it came as. Names are made safe for Windows and Linux: characters that are not allowed
      are replaced by "_", and a name that had to be changed ends in "~" and 8 hex digits.
      Messages with no folder are in mail/_unfiled/.
  index.csv
      One row per message file (UTF-8, comma-separated): path, mailbox, folder, date, from, to,
      subject, message_id, sha256, size, archived_at, retention_end (end of the legal retention
      period), legal_hold (yes while a legal hold covers it), archive_id, restricted (yes: its
      processing is restricted under GDPR Art. 18), original_path.
  evidence/batches/<batch>/
      root.bin (Merkle root of the batch), token.tsr (RFC 3161 time-stamp over it),
      renewal-N.bin/.tsr (renewed time-stamps: root || hash of the previous token), batch.json,
      proofs.jsonl (per archived file: archive id, the files it was written to, SHA-256, ledger
      leaf and inclusion path).
  evidence/tsa/ca.pem, tsa-certs.pem
      The time-stamp authority's CA (trust anchor) and signing certificates.
  audit/audit-log.jsonl, audit/chain-links.csv, audit/chain.json
      Every audit log event of this customer (who did what, when), hash-chained; the links to
      the chain head at export.
  verify.py       The offline checker (Python 3 and openssl).
  MANIFEST.sha256 The SHA-256 of every other file, written last: an export without it is unfinished.
                  A file it does not list is not part of the export.

HOW TO VERIFY
  1. sha256sum -c MANIFEST.sha256            every file is complete and unchanged
  2. python3 verify.py                       additionally: every message file has the SHA-256
     recorded at archiving, that hash is a leaf of its ledger batch (RFC 6962 inclusion path to
     root.bin), every batch root is time-stamped (openssl ts -verify, with every renewal), and
     the audit log recomputes and links to the chain head.
  By hand, for one batch:
     openssl ts -verify -data evidence/batches/<batch>/root.bin -in evidence/batches/<batch>/token.tsr \\
       -CAfile evidence/tsa/ca.pem -untrusted evidence/tsa/tsa-certs.pem
  The SHA-256 of a message file (sha256sum mail/...) must equal its "sha256" in index.csv and in
  proofs.jsonl; leaf = SHA256(0x00 || leaf_data), then for each step of "path"
  node = SHA256(0x01 || left || right) with the sibling on the side given; the result is root.bin.
{problems}"""

DE = """KUSTOS-ARCHIVEXPORT — {name} ({customer})
Erstellt am {created} von Kustos. {messages} Nachrichten in {files} Nachrichtendateien,
{batches} zeitgestempelte Ledger-Stapel, {events} Audit-Ereignisse. Alles hier ist ohne Kustos lesbar.

AUFBAU
  mail/<Postfach>/<Ordner>/<Datum>_<Archiv-ID>.eml
      Die Originalbytes jeder archivierten Nachricht, genau wie empfangen (für Kontakte, Termine
      und Aufgaben auch .vcf/.ics). Eine Nachricht, die in mehreren Ordnern lag, liegt in jedem
      davon, damit jeder Ordner für sich vollständig ist; die Kopien sind identisch (gleicher
      SHA-256) und tragen dieselbe Archiv-ID. Das Datum im Namen ist der Date-Header in UTC (ohne
      Date-Header der Archivierungszeitpunkt). "<...>.original.msg" daneben ist die Outlook-Datei,
      als die sie ankam. Die Namen sind für Windows und Linux zulässig: unzulässige Zeichen werden
      durch "_" ersetzt, ein geänderter Name endet auf "~" und 8 Hex-Ziffern. Nachrichten ohne
      Ordner liegen in mail/_unfiled/.
  index.csv
      Eine Zeile je Nachrichtendatei (UTF-8, kommagetrennt): path (Pfad), mailbox (Postfach),
      folder (Ordner), date, from, to, subject, message_id, sha256, size (Größe), archived_at
      (archiviert am), retention_end (Ende der Aufbewahrungsfrist), legal_hold (yes, solange eine
      rechtliche Aufbewahrung sie erfasst), archive_id, restricted (yes: Verarbeitung nach
      Art. 18 DSGVO eingeschränkt), original_path.
  evidence/batches/<Stapel>/
      root.bin (Merkle-Wurzel des Stapels), token.tsr (RFC-3161-Zeitstempel darüber),
      renewal-N.bin/.tsr (erneuerte Zeitstempel: Wurzel || Hash des vorigen Tokens), batch.json,
      proofs.jsonl (je archivierter Datei: Archiv-ID, die Dateien, in die sie geschrieben wurde,
      SHA-256, Ledger-Blatt und Inklusionspfad).
  evidence/tsa/ca.pem, tsa-certs.pem
      CA (Vertrauensanker) und Signaturzertifikate des Zeitstempeldienstes.
  audit/audit-log.jsonl, audit/chain-links.csv, audit/chain.json
      Jedes Ereignis des Audit-Logs dieses Kunden (wer hat wann was getan), hashverkettet; die
      Verkettung bis zum Kettenkopf beim Export.
  verify.py       Die Offline-Prüfung (Python 3 und openssl).
  MANIFEST.sha256 Der SHA-256 jeder anderen Datei, zuletzt geschrieben: ohne ihn ist der Export unvollständig.
                  Eine Datei, die er nicht aufführt, gehört nicht zum Export.

PRÜFEN
  1. sha256sum -c MANIFEST.sha256            jede Datei ist vollständig und unverändert
  2. python3 verify.py                       zusätzlich: jede Nachrichtendatei hat den bei der
     Archivierung erfassten SHA-256, dieser ist ein Blatt ihres Ledger-Stapels (Inklusionspfad
     nach RFC 6962 bis root.bin), jede Stapelwurzel ist zeitgestempelt (openssl ts -verify, mit
     jeder Erneuerung), und das Audit-Log rechnet sich nach und ist bis zum Kettenkopf verkettet.
  Von Hand, für einen Stapel:
     openssl ts -verify -data evidence/batches/<Stapel>/root.bin -in evidence/batches/<Stapel>/token.tsr \\
       -CAfile evidence/tsa/ca.pem -untrusted evidence/tsa/tsa-certs.pem
"""


def text(facts: dict[str, Any], problems: list[str]) -> str:
    listed = ""
    if problems:
        listed = "\nPROBLEMS FOUND AT EXPORT / BEIM EXPORT GEFUNDENE PROBLEME\n" + "".join(
            f"  {p}\n" for p in problems)
    return EN.format(problems=listed, **facts) + "\n" + "=" * 72 + "\n\n" + DE.format(**facts)
