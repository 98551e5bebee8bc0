"""CA certificates a source trusts, uploaded as PEM text (never a path on the server).

:func:`normalise_ca_pem` accepts one or more ``CERTIFICATE`` blocks and nothing else
(no keys, no other PEM types), checks that each parses as an X.509 certificate and that
OpenSSL accepts the set as trust anchors, and returns the certificates re-encoded as
canonical PEM; every problem is one :class:`CaPemInvalid` with a one-line message.
"""

from __future__ import annotations

import re
import ssl

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

MAX_PEM_CHARS = 256 * 1024
MAX_CERTIFICATES = 50
_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")


class CaPemInvalid(ValueError):
    """The uploaded CA material is not usable; the message says why in one line."""


def normalise_ca_pem(text: str) -> str:
    """Canonical PEM of the certificates in ``text``; CaPemInvalid otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise CaPemInvalid("the CA certificate is empty; paste or upload the PEM text (-----BEGIN CERTIFICATE-----)")
    if len(text) > MAX_PEM_CHARS:
        raise CaPemInvalid(f"the CA certificate is too large (more than {MAX_PEM_CHARS // 1024} KiB of PEM text)")
    labels = _BLOCK.findall(text)
    if not labels:
        raise CaPemInvalid("the CA certificate is not PEM text (expected -----BEGIN CERTIFICATE-----)")
    other = sorted({label for label in labels if label != "CERTIFICATE"})
    if other:
        raise CaPemInvalid(f"the CA certificate may contain only CERTIFICATE blocks, not {', '.join(other)}")
    if len(labels) > MAX_CERTIFICATES:
        raise CaPemInvalid(f"the CA certificate holds more than {MAX_CERTIFICATES} certificates")
    try:
        certificates = x509.load_pem_x509_certificates(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise CaPemInvalid(f"the CA certificate is not a valid PEM certificate ({_first_line(exc)})") from None
    pem = "".join(cert.public_bytes(Encoding.PEM).decode("ascii") for cert in certificates)
    try:
        ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError) as exc:
        raise CaPemInvalid(f"the CA certificate is not usable for TLS ({_first_line(exc)})") from None
    return pem


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:120]
