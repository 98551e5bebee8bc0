"""RFC 3161 time-stamping: a remote TSA client and the built-in local TSA.

The local TSA is SELF-SIGNED: a CA made by this installation certifies a TSA certificate
(critical extendedKeyUsage timeStamping). Its tokens prove that data existed no later than
the local clock said, only as far as the installation's own key is trusted; configure
``KUSTOS_TSA_URL`` for an independent TSA. Keys and certificates live in the vault under
``system/tsa/`` (the private key sealed with the master key), so a recovered vault keeps
verifying. Tokens verify with ``openssl ts -verify -data F -in token.tsr -CAfile ca.pem
-untrusted tsa.pem``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kustos.vault import crypto
from kustos.vault.backends.base import Backend
from kustos.vault.errors import NotFound, VaultError

LABEL = "Kustos self-signed local TSA"
POLICY_OID = "1.3.6.1.4.1.57264.1.1"  # policy id of the local TSA (informational)


class TimestampError(VaultError):
    """A time-stamp could not be obtained or does not match the data."""


class Timestamper(Protocol):
    label: str

    def timestamp(self, data: bytes) -> bytes:
        """A DER ``TimeStampResp`` over SHA-256(data)."""

    def certificates(self) -> tuple[bytes, bytes] | None:
        """(CA PEM, TSA PEM) to verify tokens with, when known."""


def request(data: bytes) -> tsp.TimeStampReq:
    return tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": hashlib.sha256(data).digest()},
        "nonce": secrets.randbits(63), "cert_req": True})


def token_imprint(token: bytes) -> tuple[bytes, datetime]:
    """(hashed message, gen time) of a DER TimeStampResp."""
    resp = tsp.TimeStampResp.load(token)
    if resp["status"]["status"].native not in ("granted", "granted_with_mods"):
        raise TimestampError(f"time-stamp refused: {resp['status']['status'].native}")
    info = resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    return info["message_imprint"]["hashed_message"].native, info["gen_time"].native


def verify_token(token: bytes, data: bytes, tsa_cert_pem: bytes | None = None) -> None:
    """Check a token stamps SHA-256(data) and its CMS signature is valid.

    The signature is checked with the certificate embedded in the token; with
    ``tsa_cert_pem`` (the local TSA) that certificate must also be exactly this one.
    Raises :class:`TimestampError` naming what failed.
    """
    imprint, _ = token_imprint(token)
    if imprint != hashlib.sha256(data).digest():
        raise TimestampError("time-stamp token covers other data")
    signed = tsp.TimeStampResp.load(token)["time_stamp_token"]["content"]
    signer = signed["signer_infos"][0]
    info_der = bytes(signed["encap_content_info"]["content"].contents)
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    if attrs.get("message_digest") is None or attrs["message_digest"].native != hashlib.sha256(info_der).digest():
        raise TimestampError("time-stamp token: signed digest does not match its content")
    serial = signer["sid"].chosen["serial_number"].native
    certs = [c.chosen for c in signed["certificates"] if c.chosen.serial_number == serial]
    if not certs:
        raise TimestampError("time-stamp token carries no signer certificate")
    cert_der = certs[0].dump()
    if tsa_cert_pem is not None and cert_der != x509.load_pem_x509_certificate(tsa_cert_pem).public_bytes(
            serialization.Encoding.DER):
        raise TimestampError("time-stamp token was not signed by this installation's TSA")
    public = x509.load_der_x509_certificate(cert_der).public_key()
    to_verify = b"\x31" + signer["signed_attrs"].dump()[1:]  # signed as a SET, stored as [0]
    signature = signer["signature"].native
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, to_verify, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, to_verify, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise TimestampError("time-stamp token: unsupported signature key type")
    except InvalidSignature:
        raise TimestampError("time-stamp token signature is invalid")


class RemoteTSA:
    """An RFC 3161 TSA reached over HTTP(S)."""

    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url
        self.label = f"RFC 3161 TSA {url}"
        self.timeout = timeout

    def timestamp(self, data: bytes) -> bytes:
        try:
            resp = httpx.post(self.url, content=request(data).dump(), timeout=self.timeout,
                              headers={"Content-Type": "application/timestamp-query"})
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise TimestampError(f"TSA {self.url} failed: {exc}")
        imprint, _ = token_imprint(resp.content)
        if imprint != hashlib.sha256(data).digest():
            raise TimestampError(f"TSA {self.url} stamped another digest")
        return resp.content

    def certificates(self) -> tuple[bytes, bytes] | None:
        return None


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kustos (self-signed)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _make_pki() -> tuple[bytes, bytes, bytes]:
    """(CA PEM, TSA PEM, TSA private key PEM)."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    # EC P-256: key generation takes milliseconds (RSA-2048: ~0.1 s) and openssl verifies it.
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name(f"{LABEL} CA")).issuer_name(_name(f"{LABEL} CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + timedelta(days=365 * 30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(LABEL)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=365 * 25))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca.public_bytes(pem), cert.public_bytes(pem), key_pem


class LocalTSA:
    """The built-in, self-signed TSA (see module docstring)."""

    label = LABEL
    PREFIX = "system/tsa/"

    def __init__(self, backend: Backend, master: bytes):
        self.backend = backend
        self.master = master
        self._loaded: tuple[bytes, bytes, bytes] | None = None

    def _material(self) -> tuple[bytes, bytes, bytes]:
        if self._loaded is None:
            try:
                ca = self.backend.load(self.PREFIX + "ca.pem")
                cert = self.backend.load(self.PREFIX + "tsa.pem")
                key = crypto.open_sealed(self.master, self.backend.load(self.PREFIX + "tsa.key"),
                                         crypto.aad("tsa-key"), "local TSA key")
            except NotFound:
                ca, cert, key = _make_pki()
                self.backend.store(self.PREFIX + "tsa.key", crypto.seal(self.master, key, crypto.aad("tsa-key")))
                self.backend.store(self.PREFIX + "tsa.pem", cert)
                self.backend.store(self.PREFIX + "ca.pem", ca)
            self._loaded = (ca, cert, key)
        return self._loaded

    def rewrap(self, new_master: bytes) -> bool:
        """Re-seal the TSA key under a new master key; False when no local TSA exists yet."""
        if not self.backend.exists(self.PREFIX + "tsa.key"):
            return False
        _, _, key = self._material()
        self.backend.store(self.PREFIX + "tsa.key", crypto.seal(new_master, key, crypto.aad("tsa-key")))
        self.master = new_master
        return True

    def certificates(self) -> tuple[bytes, bytes] | None:
        ca, cert, _ = self._material()
        return ca, cert

    def timestamp(self, data: bytes) -> bytes:
        return self.timestamp_digest(hashlib.sha256(data).digest())

    def respond(self, request_der: bytes) -> bytes:
        """Answer a DER TimeStampReq (SHA-256 imprints only): lets the local TSA serve HTTP."""
        req = tsp.TimeStampReq.load(request_der)
        imprint = req["message_imprint"]
        if imprint["hash_algorithm"]["algorithm"].native != "sha256":
            return tsp.TimeStampResp({"status": {"status": "rejection", "fail_info": {"bad_alg"}}}).dump()
        return self.timestamp_digest(imprint["hashed_message"].native, req["nonce"].native)

    def timestamp_digest(self, digest: bytes, nonce: int | None = None) -> bytes:
        """A DER TimeStampResp stamping a SHA-256 ``digest``."""
        _, cert_pem, key_pem = self._material()
        cert = ax509.Certificate.load(x509.load_pem_x509_certificate(cert_pem).public_bytes(
            serialization.Encoding.DER))
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TimestampError("local TSA key is not an EC key")
        info = tsp.TSTInfo({
            "version": "v1", "policy": POLICY_OID,
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
            "serial_number": secrets.randbits(63), "gen_time": datetime.now(UTC),
            "accuracy": {"seconds": 1}, "ordering": False,
            "nonce": secrets.randbits(63) if nonce is None else nonce})
        info_der = info.dump()
        ess = tsp.SigningCertificateV2({"certs": [{
            "hash_algorithm": {"algorithm": "sha256"},
            "cert_hash": hashlib.sha256(cert.dump()).digest(),
            "issuer_serial": {"issuer": [ax509.GeneralName({"directory_name": cert.issuer})],
                              "serial_number": cert.serial_number}}]})
        attrs = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(info_der).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ])
        signature = key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
                "issuer": cert.issuer, "serial_number": cert.serial_number}}),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signature})
        signed = cms.SignedData({
            "version": "v3", "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(info_der)},
            "certificates": [cert], "signer_infos": [signer]})
        resp = tsp.TimeStampResp({"status": {"status": "granted"},
                                  "time_stamp_token": {"content_type": "signed_data", "content": signed}})
        return resp.dump()
