"""What the collector shows senders: its TLS certificate, and the HTTP listener's token.

Watchkeeper makes its own self-signed certificate, so TLS on 6514 works without a CA; senders
trust it by its SHA-256 fingerprint or by the certificate file. The private key is stored
encrypted with a random passphrase kept in the keyring. A user may bring their own PEM pair
instead; it is checked here so that a bad file is named before a listener tries to use it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from secrets import token_urlsafe

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from watchkeeper.collect.secrets import get_secret, set_secret
from watchkeeper.core import paths
from watchkeeper.core.disk import fsync_folder
from watchkeeper.core.errors import WatchkeeperError

CERT_FILENAME = "collector-cert.pem"
KEY_FILENAME = "collector-key.pem"
PASSPHRASE_SECRET = "tls-key-passphrase"
HTTP_TOKEN_SECRET = "http-token"
VALID_FOR = timedelta(days=825)  # the longest lifetime clients accept for a server certificate
RENEW_WITHIN = timedelta(days=30)
CLOCK_SKEW = timedelta(hours=1)  # senders whose clocks run a little behind still accept it

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class CertificateError(WatchkeeperError):
    title = "Certificate not usable"


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """A certificate and its private key on disk, as a TLS listener loads them."""

    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the DER certificate, lowercase hex, what senders pin
    not_after: datetime  # UTC


def default_folder() -> Path:
    return paths.config_dir() / "tls"


def ensure_certificate(folder: Path | None = None, *, now: datetime | None = None) -> TlsFiles:
    """The collector's certificate in `folder`, made (or made again) when missing or expiring.

    A pair is reused while its key opens with the passphrase in the keyring, matches the
    certificate, and the certificate has more than 30 days left.
    """
    folder = default_folder() if folder is None else folder
    now = datetime.now(UTC) if now is None else now
    passphrase = get_secret(PASSPHRASE_SECRET)  # fails before anything is made
    existing = _reusable(folder, passphrase, now)
    if existing is not None:
        return existing
    return _generate(folder, now)


def server_context(files: TlsFiles, passphrase: str | None) -> ssl.SSLContext:
    """A TLS server context for a listener: TLS 1.2 or later, OpenSSL's default ciphers."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # No TLS 1.3 session tickets: a sender that only writes never reads them, so they sit in
    # its socket when it closes, its system answers with a reset instead of a FIN, and ours
    # throws away the messages it had not read yet. Syslog senders do not resume sessions.
    context.num_tickets = 0
    try:
        # An empty passphrase rather than None: with None OpenSSL would ask on the terminal.
        context.load_cert_chain(files.cert, files.key, password=passphrase or "")
    except ssl.SSLError as error:
        raise CertificateError(
            f"The certificate {files.cert.name} and the private key {files.key.name} cannot "
            f"be used for TLS ({error.reason or error}): the key may need a passphrase, or "
            "a stronger key."
        ) from error
    except OSError as error:
        raise CertificateError(
            f"The certificate {files.cert.name} or its private key {files.key.name} cannot be "
            f"read: {error.strerror or error}."
        ) from error
    return context


def user_certificate(
    cert_path: Path, key_path: Path, passphrase: str | None = None, *, now: datetime | None = None
) -> TlsFiles:
    """Check a PEM certificate and private key the user chose, naming the first problem."""
    now = datetime.now(UTC) if now is None else now
    cert_data = _read(cert_path, "certificate")
    key_data = _read(key_path, "private key")
    certificate = _load_certificate(cert_path, cert_data)
    key = _load_key(key_path, key_data, passphrase)
    if _public_der(key) != _public_der(certificate):
        raise CertificateError(
            f"The private key {key_path.name} does not belong to the certificate "
            f"{cert_path.name}: their public keys differ."
        )
    if certificate.not_valid_after_utc <= now:
        raise CertificateError(
            f"The certificate {cert_path.name} expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}; senders will refuse it."
        )
    if certificate.not_valid_before_utc > now:
        raise CertificateError(
            f"The certificate {cert_path.name} is not valid before "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC."
        )
    files = _tls_files(cert_path, key_path, certificate)
    server_context(files, passphrase)  # what OpenSSL itself refuses, such as a weak key
    return files


def ensure_http_token() -> str:
    """The token HTTP senders must present, made once and kept in the keyring."""
    token = get_secret(HTTP_TOKEN_SECRET)
    return token if token else rotate_http_token()


def new_http_token() -> str:
    """A fresh token, not yet kept anywhere (the Settings dialog keeps it on OK)."""
    return token_urlsafe(32)


def rotate_http_token(token: str | None = None) -> str:
    """Replace the HTTP token (with `token`, or a new one); senders using the old one are
    refused once the listeners restart."""
    token = token or new_http_token()
    set_secret(HTTP_TOKEN_SECRET, token)
    return token


def _tls_files(cert_path: Path, key_path: Path, certificate: x509.Certificate) -> TlsFiles:
    return TlsFiles(
        cert=cert_path,
        key=key_path,
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        not_after=certificate.not_valid_after_utc,
    )


def _public_der(owner: x509.Certificate | PrivateKeyTypes) -> bytes:
    public_key = owner.public_key()
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _reusable(folder: Path, passphrase: str | None, now: datetime) -> TlsFiles | None:
    cert_path, key_path = folder / CERT_FILENAME, folder / KEY_FILENAME
    if passphrase is None or not cert_path.is_file() or not key_path.is_file():
        return None
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), passphrase.encode())
    except (OSError, ValueError, TypeError):
        return None  # damaged, or the keyring's passphrase is not this key's: make a new pair
    if _public_der(key) != _public_der(certificate):
        return None
    if certificate.not_valid_after_utc - now <= RENEW_WITHIN:
        return None
    return _tls_files(cert_path, key_path, certificate)


def _generate(folder: Path, now: datetime) -> TlsFiles:
    key = ec.generate_private_key(ec.SECP256R1())
    names = _host_names()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Watchkeeper"),
        ]
    )
    alternative_names: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alternative_names += [x509.IPAddress(address) for address in _host_addresses(names[0])]
    key_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(key_id, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(key_id), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    passphrase = token_urlsafe(32)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_path, key_path = folder / CERT_FILENAME, folder / KEY_FILENAME
    staged = [(_stage(key_path, key_pem), key_path), (_stage(cert_path, cert_pem), cert_path)]
    try:
        # The passphrase goes to the keyring before the files replace the old pair, so a
        # keyring that refuses leaves the old pair as it was.
        set_secret(PASSPHRASE_SECRET, passphrase)
        for temporary, final in staged:
            os.replace(temporary, final)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    fsync_folder(folder)
    return _tls_files(cert_path, key_path, certificate)


def _stage(path: Path, data: bytes) -> Path:
    """`data` in a new file beside `path`, readable by the owner only, flushed to disk."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _host_names() -> list[str]:
    """This machine's name first, then its full name, then localhost."""
    names: list[str] = []
    for candidate in (socket.gethostname(), socket.getfqdn(), "localhost"):
        name = candidate.strip().rstrip(".").lower()
        if name and name.isascii() and " " not in name and name not in names:
            names.append(name)
    return names


def _host_addresses(hostname: str) -> list[IPAddress]:
    """Loopback, plus the addresses the name resolves to and the ones routes leave from."""
    addresses: list[IPAddress] = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    candidates: list[str] = []
    with contextlib.suppress(OSError):
        candidates += [str(info[4][0]) for info in socket.getaddrinfo(hostname, None)]
    # Connecting a UDP socket sends nothing; it only picks the source address of the route.
    for family, documentation_address in (
        (socket.AF_INET, "192.0.2.1"),
        (socket.AF_INET6, "2001:db8::1"),
    ):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((documentation_address, 9))
                candidates.append(str(probe.getsockname()[0]))
        except OSError:
            pass
    for text in candidates:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue
        if address.is_loopback or address.is_link_local or address.is_unspecified:
            continue
        if address not in addresses:
            addresses.append(address)
    return addresses


def _read(path: Path, what: str) -> bytes:
    if not path.exists():
        raise CertificateError(f"The {what} file {path} does not exist.")
    if not path.is_file():
        raise CertificateError(f"The {what} file {path} is a folder, not a file.")
    try:
        return path.read_bytes()
    except OSError as error:
        raise CertificateError(
            f"The {what} file {path} cannot be read: {error.strerror or error}."
        ) from error


def _binary_hint(data: bytes) -> str:
    # DER starts with an ASN.1 SEQUENCE; say how to convert it rather than only "not PEM".
    return " It looks like binary DER; convert it to PEM first." if data[:1] == b"\x30" else ""


def _load_certificate(path: Path, data: bytes) -> x509.Certificate:
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CertificateError(
            f"{path.name} is not a PEM certificate: it has no "
            f'"-----BEGIN CERTIFICATE-----" line.{_binary_hint(data)}'
        )
    try:
        return x509.load_pem_x509_certificates(data)[0]
    except ValueError as error:
        raise CertificateError(f"{path.name} is not a valid PEM certificate ({error}).") from error


def _load_key(path: Path, data: bytes, passphrase: str | None) -> PrivateKeyTypes:
    if b"PRIVATE KEY-----" not in data:
        raise CertificateError(
            f"{path.name} is not a PEM private key: it has no "
            f'"-----BEGIN … PRIVATE KEY-----" line.{_binary_hint(data)}'
        )
    encrypted = b"ENCRYPTED" in data  # PKCS#8 "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED"
    if encrypted and not passphrase:
        raise CertificateError(f"The private key {path.name} is encrypted: enter its passphrase.")
    try:
        return serialization.load_pem_private_key(
            data, passphrase.encode() if encrypted and passphrase else None
        )
    except ValueError as error:
        if encrypted:
            raise CertificateError(
                f"The passphrase does not open the private key {path.name}: it is wrong, "
                "or the file is damaged."
            ) from error
        raise CertificateError(f"{path.name} is not a valid PEM private key ({error}).") from error
    except (TypeError, UnsupportedAlgorithm) as error:
        raise CertificateError(
            f"{path.name} is not a private key Watchkeeper can use ({error})."
        ) from error
