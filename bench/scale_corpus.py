"""A deterministic generator of N distinct, realistic messages for one customer, built from real mail.

The shared bulk sets hold about 15,900 real messages; an archive at scale holds millions. This
module recombines them instead of repeating them (repeats would flatter dedup, compression and
the index):

* headers: subjects of real messages (sometimes as a reply, ``Re:``/``AW:``), senders and
  recipients from a fixed pool per customer (50 employees, 400 outside contacts at 80
  domains), unique Message-IDs, replies carry ``In-Reply-To``/``References`` of an earlier
  generated message, dates spread evenly over ten years with jitter;
* bodies: paragraphs of two different real messages plus one line unique to the message, so
  no two bodies are equal but the words and their frequencies are those of real mail;
* attachments: on a share of the messages (default 8 %), a real attachment taken from the edge
  corpus (PDFs, images, office files found in its messages), base64 in ``multipart/mixed``.

Same ``seed`` and ``n`` → the same bytes, on every machine.
"""

from __future__ import annotations

import email.utils
import random
from base64 import encodebytes
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import bulk_corpus  # bench/ is the script's directory, so this is importable

FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hannah", "Jonas", "Katrin", "Lukas",
         "Marie", "Nils", "Olga", "Paul", "Rita", "Stefan", "Tina", "Uwe", "Vera", "Jürgen", "Sören"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Braun", "Zimmermann"]
TEN_YEARS = timedelta(days=3652)
START = datetime(2016, 1, 1, tzinfo=UTC)
ATTACHMENT_TYPES = ("application/", "image/")
MAX_ATTACHMENT = 400_000


@dataclass
class Pool:
    subjects: list[str] = field(default_factory=list)
    bodies: list[list[str]] = field(default_factory=list)  # paragraphs per real message
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (type, name, bytes)


def _text(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(make_header(decode_header(value))).replace("\n", " ").replace("\r", " ").strip()
    except (UnicodeDecodeError, LookupError, ValueError):
        return ""


def _plain_body(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                try:
                    return payload.decode(charset, "replace")
                except LookupError:
                    return payload.decode("utf-8", "replace")
    return ""


def _paragraphs(body: str) -> list[str]:
    paras = [p.strip() for p in body.replace("\r\n", "\n").split("\n\n")]
    return [p for p in paras if 20 <= len(p) <= 3000][:12]


def load_pool(limit: int | None = None) -> Pool:
    """Subjects and body paragraphs of the bulk sets, attachments of the edge set."""
    pool = Pool()
    parser = BytesParser(policy=compat32)
    for _, _, raw in bulk_corpus.messages(limit):
        msg = parser.parsebytes(raw)
        subject = _text(msg.get("Subject"))
        paras = _paragraphs(_plain_body(msg))
        if subject:
            pool.subjects.append(subject[:200])
        if paras:
            pool.bodies.append(paras)
    edge = bulk_corpus.corpus_root() / "email" / "edge"
    for path in sorted(edge.rglob("*.eml")):
        if len(pool.attachments) >= 60:
            break
        try:
            msg = parser.parsebytes(path.read_bytes())
            for part in msg.walk():
                name = part.get_filename()
                ctype = part.get_content_type()
                if not name or not ctype.startswith(ATTACHMENT_TYPES):
                    continue
                data = part.get_payload(decode=True)
                if isinstance(data, bytes) and 1000 <= len(data) <= MAX_ATTACHMENT:
                    pool.attachments.append((ctype, _text(name) or "attachment.bin", data))
        except (OSError, ValueError, TypeError):
            continue
    return pool


@dataclass(frozen=True)
class People:
    employees: list[tuple[str, str]]
    contacts: list[tuple[str, str]]


def people(rng: random.Random, domain: str) -> People:
    def person(dom: str) -> tuple[str, str]:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = f"{first}.{last}".lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        return f"{first} {last}", f"{local}{rng.randrange(100)}@{dom}"

    domains = [f"partner{i}.example" for i in range(80)]
    return People([person(domain) for _ in range(50)], [person(rng.choice(domains)) for _ in range(400)])


class Generator:
    """``messages(n)`` yields (folder, raw bytes) for message 0..n-1 of one customer."""

    def __init__(self, pool: Pool, *, seed: int = 1, domain: str = "kunde.example",
                 attachment_share: float = 0.08) -> None:
        if not pool.subjects or not pool.bodies:
            raise ValueError("the corpus pool is empty (is ../shared/corpus present?)")
        self.pool = pool
        self.seed = seed
        self.domain = domain
        self.attachment_share = attachment_share
        self.people = people(random.Random(seed), domain)

    def messages(self, n: int) -> Iterator[tuple[str, bytes]]:
        rng = random.Random(self.seed * 1_000_003 + n)
        step = TEN_YEARS / max(n, 1)
        recent: list[tuple[str, str]] = []  # (message id, subject) of earlier messages, for replies
        for k in range(n):
            date = START + step * k + timedelta(seconds=rng.randrange(int(max(step.total_seconds(), 1))))
            yield self._one(rng, k, date, recent)

    def _one(self, rng: random.Random, k: int, date: datetime,
             recent: list[tuple[str, str]]) -> tuple[str, bytes]:
        inbound = rng.random() < 0.55
        employee, contact = rng.choice(self.people.employees), rng.choice(self.people.contacts)
        sender, rcpt = (contact, employee) if inbound else (employee, contact)
        msgid = f"<{k}.{self.seed}.{rng.getrandbits(32):08x}@{sender[1].split('@')[1]}>"
        headers = [("From", email.utils.formataddr(sender)), ("To", email.utils.formataddr(rcpt)),
                   ("Date", email.utils.format_datetime(date)), ("Message-ID", msgid)]
        if rng.random() < 0.2:
            headers.append(("Cc", email.utils.formataddr(rng.choice(self.people.employees))))
        subject = rng.choice(self.pool.subjects)
        if recent and rng.random() < 0.3:
            parent, subject = recent[rng.randrange(len(recent))]
            subject = ("AW: " if rng.random() < 0.5 else "Re: ") + subject.removeprefix("Re: ").removeprefix("AW: ")
            headers += [("In-Reply-To", parent), ("References", parent)]
        headers.append(("Subject", str(make_header([(subject.encode("utf-8"), "utf-8")]))
                        if not subject.isascii() else subject))
        recent.append((msgid, subject))
        if len(recent) > 200:
            recent.pop(0)
        first, second = rng.sample(self.pool.bodies, 2)
        paras = first[:rng.randint(1, 3)] + second[:rng.randint(1, 3)]
        paras.append(f"Vorgang {k:08d}, Referenz {rng.getrandbits(40):010x}")
        body = "\n\n".join(paras).replace("\n", "\r\n") + "\r\n"
        folder = f"{date.year}/{'Inbox' if inbound else 'Sent'}"
        if self.pool.attachments and rng.random() < self.attachment_share:
            return folder, self._multipart(headers, body, rng.choice(self.pool.attachments), k)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        return folder, (head + "\r\n" + body).encode("utf-8")

    @staticmethod
    def _multipart(headers: list[tuple[str, str]], body: str, attachment: tuple[str, str, bytes], k: int) -> bytes:
        ctype, name, data = attachment
        boundary = f"=_scale_{k:08d}"
        head = "".join(f"{n}: {v}\r\n" for n, v in headers)
        head += f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n'
        safe = name.replace('"', "").replace("\r", "").replace("\n", "")
        encoded = encodebytes(data).decode("ascii").replace("\n", "\r\n")
        parts = (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}"
                 f"--{boundary}\r\nContent-Type: {ctype}; name=\"{safe}\"\r\n"
                 f"Content-Disposition: attachment; filename=\"{safe}\"\r\n"
                 f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}--{boundary}--\r\n")
        return (head + "\r\n" + parts).encode("utf-8")


def write_maildir(root: Path, messages: Iterator[tuple[str, bytes]]) -> tuple[int, int]:
    """A Maildir++ tree (one subfolder per year and direction); returns (count, bytes)."""
    made: set[str] = set()
    count = total = 0
    for folder, data in messages:
        sub = root if folder == "INBOX" else root / ("." + folder.replace("/", "."))
        if folder not in made:
            for leaf in ("cur", "new", "tmp"):
                (sub / leaf).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        (sub / "cur" / f"{count:08d}.scale:2,S").write_bytes(data)
        count += 1
        total += len(data)
    for leaf in ("cur", "new", "tmp"):
        (root / leaf).mkdir(parents=True, exist_ok=True)
    return count, total
