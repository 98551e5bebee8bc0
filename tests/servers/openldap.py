"""A private OpenLDAP (``slapd``) on 127.0.0.1 for tests: pytest plugin module.

Registered in ``tests.servers.plugins``, so the ``openldap`` fixture is available to every test.
The server gets its own slapd.conf, MDB database, ports (``ldap://`` with StartTLS and
``ldaps://``) and a certificate issued by a CA the fixture generates (``ca_file`` for clients).
Users are ``inetOrgPerson`` entries with an auxiliary class carrying the Active Directory
attributes Kustos reads (``userPrincipalName``, ``proxyAddresses``); groups are ``groupOfNames``
and the ``memberof`` overlay maintains ``memberOf`` on the users, so both ways of reading groups
work. The system-wide slapd is never touched.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.servers import process
from tests.servers.tls import free_port

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SUFFIX = "dc=example,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret-1"
SERVICE_DN = f"cn=kustos-service,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret-1"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

# Test-only OIDs (the private enterprise arc 99999 is not assigned to anyone real).
AD_SCHEMA = """\
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'proxyAddresses'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'userPrincipalName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'kustosTestAdUser' SUP top AUXILIARY
  MAY ( proxyAddresses $ userPrincipalName ) )
"""

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {root}/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {root}/slapd.pid
argsfile {root}/slapd.args
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
database mdb
maxsize 67108864
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {root}/db
index objectClass eq
index mail,userPrincipalName,proxyAddresses eq
index member,memberOf eq
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
access to attrs=userPassword
  by self =xw
  by anonymous auth
  by * none
access to *
  by dn.exact="{service}" read
  by self read
  by * none
"""


@dataclass(frozen=True)
class Certs:
    ca: Path
    cert: Path
    key: Path


def make_ca_and_server(directory: Path, name: str = "localhost", *, loopback: bool = True) -> Certs:
    """A CA (ca.pem) and a server certificate it signed for ``name`` and (``loopback``) localhost /
    127.0.0.1; without loopback a client connecting to 127.0.0.1 must refuse the certificate's name."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kustos test LDAP CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(name)]
            + ([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))] if loopback else [])),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certs(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    paths.key.chmod(0o600)
    return paths


@dataclass
class OpenLdap:
    """A running private slapd. ``ldap_url`` speaks StartTLS, ``ldaps_url`` TLS from the start."""

    root: Path
    certs: Certs
    ldap_port: int
    ldaps_port: int
    process: subprocess.Popen[bytes]

    suffix: str = SUFFIX
    people: str = PEOPLE
    groups: str = GROUPS
    service_dn: str = SERVICE_DN
    service_password: str = SERVICE_PASSWORD

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.ldap_port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def ldapi_url(self) -> str:
        return "ldapi://" + quote(str(self.root / "ldapi"), safe="")

    def _modify(self, ldif: str, *, add: bool = False) -> None:
        """Apply LDIF as the root DN (ldapmodify over the server's private Unix socket)."""
        command = ["ldapmodify", "-x", "-H", self.ldapi_url, "-D", ROOT_DN, "-w", ROOT_PASSWORD]
        if add:
            command.append("-a")
        result = subprocess.run(command, input=ldif.encode(), capture_output=True, env={"PATH": "/usr/bin:/bin"},
                                timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"ldapmodify failed: {result.stderr.decode(errors='replace')}")

    def add_user(self, uid: str, password: str, mail: str, *, aliases: tuple[str, ...] = (),
                 upn: str | None = None, name: str | None = None) -> str:
        """Add an inetOrgPerson under ou=people; returns its DN."""
        dn = f"uid={uid},{self.people}"
        lines = [f"dn: {dn}", "objectClass: inetOrgPerson", "objectClass: kustosTestAdUser",
                 f"uid: {uid}", f"cn: {name or uid}", f"sn: {uid}", f"mail: {mail}",
                 f"userPassword: {password}", f"userPrincipalName: {upn or mail}"]
        lines += [f"proxyAddresses: smtp:{alias}" for alias in aliases]
        lines.append(f"proxyAddresses: SMTP:{mail}")
        self._modify("\n".join(lines) + "\n", add=True)
        return dn

    def add_group(self, cn: str, *members: str) -> str:
        """Add a groupOfNames under ou=groups (needs at least one member); returns its DN."""
        dn = f"cn={cn},{self.groups}"
        lines = [f"dn: {dn}", "objectClass: groupOfNames", f"cn: {cn}"]
        lines += [f"member: {member}" for member in members]
        self._modify("\n".join(lines) + "\n", add=True)
        return dn

    def add_member(self, group_dn: str, member_dn: str) -> None:
        self._modify(f"dn: {group_dn}\nchangetype: modify\nadd: member\nmember: {member_dn}\n")

    def remove_member(self, group_dn: str, member_dn: str) -> None:
        self._modify(f"dn: {group_dn}\nchangetype: modify\ndelete: member\nmember: {member_dn}\n")

    def set_password(self, dn: str, password: str) -> None:
        self._modify(f"dn: {dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: {password}\n")

    def stop(self) -> None:
        process.stop(self.process)


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    process.wait_listening("slapd", port, proc, log, deadline)


BASE_LDIF = f"""\
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: example
o: Example Test

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: {GROUPS}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{SUFFIX}
objectClass: organizationalUnit
ou: services

dn: {SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: kustos-service
userPassword: {SERVICE_PASSWORD}
"""


def start_openldap(root: Path, *, cert_name: str = "localhost", loopback_cert: bool = True) -> OpenLdap:
    """Write a private slapd.conf under ``root`` and start ``slapd -d 0`` on two free ports."""
    if not Path(SLAPD).exists() or not shutil.which("ldapmodify"):
        pytest.skip("slapd / ldap-utils missing (apt-get install slapd ldap-utils)")
    root.mkdir(parents=True, exist_ok=True)
    (root / "db").mkdir(exist_ok=True)
    certs = make_ca_and_server(root / "tls", cert_name, loopback=loopback_cert)
    (root / "ad.schema").write_text(AD_SCHEMA)
    config = root / "slapd.conf"
    config.write_text(CONFIG.format(root=root, ca=certs.ca, cert=certs.cert, key=certs.key, suffix=SUFFIX,
                                    rootdn=ROOT_DN, rootpw=ROOT_PASSWORD, service=SERVICE_DN))
    seed = subprocess.run(["slapadd", "-f", str(config), "-b", SUFFIX], input=BASE_LDIF.encode(),
                          capture_output=True, timeout=30)
    if seed.returncode != 0:
        raise RuntimeError(f"slapadd failed: {seed.stderr.decode(errors='replace')}")
    ldap_port, ldaps_port = free_port(), free_port()
    log = root / "slapd.log"
    urls = f"ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/ ldapi://{quote(str(root / 'ldapi'), safe='')}/"
    process = subprocess.Popen([SLAPD, "-d", "0", "-f", str(config), "-h", urls], stdout=subprocess.DEVNULL,
                               stderr=open(log, "wb"))  # noqa: SIM115 - closed with the process
    deadline = time.monotonic() + 20
    try:
        _wait_listening(ldap_port, process, log, deadline)
        _wait_listening(ldaps_port, process, log, deadline)
    except RuntimeError:
        process.kill()
        raise
    return OpenLdap(root=root, certs=certs, ldap_port=ldap_port, ldaps_port=ldaps_port, process=process)


@pytest.fixture(scope="module")
def openldap() -> Iterator[OpenLdap]:
    """A fresh private OpenLDAP per test module."""
    root = Path(tempfile.mkdtemp(prefix="kustos-openldap-"))
    server = start_openldap(root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
