"""Which mailboxes of a customer a journaled message is filed under.

Rule (there is no list of customer domains in Kustos, so it is derived):

* an address belongs to the customer when it is a **known address**: a mailbox the
  customer's archive already has, or an own mailbox of one of the customer's users
  (``User.mailboxes``, or the user's e-mail address);
* or when its **domain** is the domain of one of the customer's archive mailboxes —
  except public mail services (gmail.com, outlook.com, gmx.de, ...), where only known
  addresses count, and the journaling domain itself;
* nothing else. A journaled message is filed under every participant that belongs to
  the customer (sender, To, Cc, and — for trusted journal reports — the report's
  recipients including BCC; for plain BCC journaling also the SMTP RCPT TO), plus the
  journaling mailbox; never under a foreign address.

The journaling mailbox keeps the full envelope; a recipient's mailbox gets only its own
address as envelope recipient (a BCC recipient must not learn the other recipients, and
To/Cc recipients must not learn about the BCC), the sender's mailbox gets all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kustos.accounts.models import User
from kustos.archive.models import Mailbox
from kustos.tenants.models import Customer

# Mail services whose domain is shared by unrelated people: only exact known addresses count.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "yahoo.de", "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de",
    "t-online.de", "freenet.de", "posteo.de", "mailbox.org", "mail.de", "proton.me", "protonmail.com",
    "yandex.com", "zoho.com",
})


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


@dataclass(frozen=True)
class CustomerAddresses:
    known: frozenset[str]
    domains: frozenset[str]

    def owns(self, address: str) -> bool:
        address = address.strip().lower()
        if "@" not in address:
            return False
        return address in self.known or _domain(address) in self.domains


def customer_addresses(customer: Customer, journal_domain: str) -> CustomerAddresses:
    """The customer's addresses and domains by the rule above (journaling domain excluded)."""
    journal_domain = journal_domain.lower()
    boxes = {a.lower() for a in Mailbox.objects.filter(customer=customer).values_list("address", flat=True)}
    boxes = {a for a in boxes if "@" in a and _domain(a) != journal_domain}
    own = {a for user in User.objects.filter(customer=customer, is_active=True) for a in user.own_mailboxes()}
    own = {a for a in own if "@" in a and _domain(a) != journal_domain}
    domains = {_domain(a) for a in boxes} - PUBLIC_MAIL_DOMAINS
    return CustomerAddresses(known=frozenset(boxes | own), domains=frozenset(domains))


@dataclass(frozen=True)
class Filing:
    mailbox: str
    envelope_to: list[str]


def _unique(addresses: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for address in addresses:
        address = address.strip().lower()
        if address and address not in seen:
            seen.append(address)
    return seen


def filings(owner: CustomerAddresses, senders: Iterable[str], recipients: Iterable[str]) -> list[Filing]:
    """One filing per participant mailbox of the customer (senders first)."""
    everyone = _unique(recipients)
    result: dict[str, Filing] = {}
    for sender in _unique(senders):
        if owner.owns(sender):
            result[sender] = Filing(sender, everyone)
    for recipient in everyone:
        if owner.owns(recipient) and recipient not in result:
            result[recipient] = Filing(recipient, [recipient])
    return list(result.values())
