"""The collector's TLS certificate, a user's own PEM pair, the HTTP token, and the keyring."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from tests.keyrings import MemoryKeyring

from watchkeeper.collect.certificates import (
    CERT_FILENAME,
    HTTP_TOKEN_SECRET,
    KEY_FILENAME,
    PASSPHRASE_SECRET,
    CertificateError,
    TlsFiles,
    ensure_certificate,
    ensure_http_token,
    rotate_http_token,
    server_context,
    user_certificate,
)
from watchkeeper.collect.secrets import (
    SERVICE,
    SecretsUnavailable,
    delete_secret,
    get_secret,
    set_secret,
)
from watchkeeper.core.errors import WatchkeeperError

NO_KEYRING = "Watchkeeper keeps secrets only in the system keyring, so it cannot keep the secret"


def passphrase_of(memory_keyring: MemoryKeyring) -> str:
    return memory_keyring.secrets[(SERVICE, PASSPHRASE_SECRET)]


def all_bytes_under(folder: Path) -> list[bytes]:
    return [path.read_bytes() for path in folder.rglob("*") if path.is_file()]


# --- the certificate Watchkeeper makes ---------------------------------------------------


def test_a_new_certificate_names_this_machine_and_pins_by_its_fingerprint(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    files = ensure_certificate(tmp_path / "tls")

    certificate = x509.load_pem_x509_certificate(files.cert.read_bytes())
    hostname = socket.gethostname().lower()
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == hostname[:64]
    alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    names = alternative.value.get_values_for_type(x509.DNSName)
    addresses = alternative.value.get_values_for_type(x509.IPAddress)
    assert hostname in names and "localhost" in names
    assert ipaddress.ip_address("127.0.0.1") in addresses
    assert ipaddress.ip_address("::1") in addresses
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert files.fingerprint == hashlib.sha256(der).hexdigest()
    lifetime = files.not_after - datetime.now(UTC)
    assert timedelta(days=824) < lifetime <= timedelta(days=825)
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)


def test_the_key_is_encrypted_with_a_passphrase_only_the_keyring_holds(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    files = ensure_certificate(tmp_path / "tls")

    key_pem = files.key.read_bytes()
    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError, match="encrypted"):
        serialization.load_pem_private_key(key_pem, password=None)
    passphrase = passphrase_of(memory_keyring)
    serialization.load_pem_private_key(key_pem, password=passphrase.encode())
    for data in all_bytes_under(tmp_path):
        assert passphrase.encode() not in data
        assert b"-----BEGIN PRIVATE KEY-----" not in data
        assert b"-----BEGIN EC PRIVATE KEY-----" not in data


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_only_the_owner_can_read_the_files(tmp_path: Path) -> None:
    files = ensure_certificate(tmp_path / "tls")

    assert files.key.stat().st_mode & 0o777 == 0o600
    assert files.cert.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "tls").stat().st_mode & 0o777 == 0o700
    assert sorted(path.name for path in (tmp_path / "tls").iterdir()) == sorted(
        [CERT_FILENAME, KEY_FILENAME]
    )  # no temporary files left behind


def test_the_certificate_is_kept_across_starts(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path / "tls")
    key_written = first.key.stat().st_mtime_ns

    second = ensure_certificate(tmp_path / "tls")

    assert second == first
    assert second.key.stat().st_mtime_ns == key_written


def test_a_certificate_expiring_within_30_days_is_replaced(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    first = ensure_certificate(tmp_path / "tls")
    old_passphrase = passphrase_of(memory_keyring)

    still_fine = ensure_certificate(tmp_path / "tls", now=first.not_after - timedelta(days=31))
    renewed = ensure_certificate(tmp_path / "tls", now=first.not_after - timedelta(days=29))

    assert still_fine.fingerprint == first.fingerprint
    assert renewed.fingerprint != first.fingerprint
    assert renewed.not_after > first.not_after
    assert passphrase_of(memory_keyring) != old_passphrase
    server_context(renewed, passphrase_of(memory_keyring))


def test_a_new_pair_is_made_when_the_keyring_lost_the_passphrase(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path / "tls")
    delete_secret(PASSPHRASE_SECRET)

    second = ensure_certificate(tmp_path / "tls")

    assert second.fingerprint != first.fingerprint
    server_context(second, get_secret(PASSPHRASE_SECRET))


# --- a real TLS connection ---------------------------------------------------------------


@dataclass
class Handshake:
    client_version: str | None = None
    reply: bytes = b""
    client_error: BaseException | None = None
    server_error: BaseException | None = None


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, hostname: str) -> Handshake:
    """Connect a client socket to a server socket on loopback and echo one line over TLS."""
    outcome = Handshake()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        port = listener.getsockname()[1]

        def serve() -> None:
            try:
                connection, _ = listener.accept()
                connection.settimeout(10)
                with server.wrap_socket(connection, server_side=True) as tls:
                    tls.sendall(tls.recv(64).upper())
            except OSError as error:
                outcome.server_error = error

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                client.wrap_socket(raw, server_hostname=hostname) as tls,
            ):
                outcome.client_version = tls.version()
                tls.sendall(b"hello collector")
                outcome.reply = tls.recv(64)
        except OSError as error:
            outcome.client_error = error
        finally:
            thread.join(10)
    return outcome


def test_a_sender_trusting_the_certificate_connects_with_tls_1_2_or_later(tmp_path: Path) -> None:
    files = ensure_certificate(tmp_path / "tls")
    server = server_context(files, get_secret(PASSPHRASE_SECRET))

    for hostname in ("localhost", socket.gethostname()):
        client = ssl.create_default_context(cafile=str(files.cert))
        outcome = handshake(server, client, hostname)
        assert outcome.client_error is None and outcome.server_error is None
        assert outcome.client_version in {"TLSv1.2", "TLSv1.3"}
        assert outcome.reply == b"HELLO COLLECTOR"

    only_1_2 = ssl.create_default_context(cafile=str(files.cert))
    only_1_2.maximum_version = ssl.TLSVersion.TLSv1_2
    assert handshake(server, only_1_2, "localhost").client_version == "TLSv1.2"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_a_sender_offering_only_tls_1_1_is_refused(tmp_path: Path) -> None:
    files = ensure_certificate(tmp_path / "tls")
    server = server_context(files, get_secret(PASSPHRASE_SECRET))
    old_client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old_client.check_hostname = False
    old_client.verify_mode = ssl.CERT_NONE
    try:
        old_client.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this OpenSSL offer TLS 1.1 at all
        old_client.minimum_version = ssl.TLSVersion.TLSv1_1
        old_client.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ssl.SSLError, ValueError) as error:
        pytest.skip(f"this OpenSSL cannot act as a TLS 1.1 client: {error}")

    outcome = handshake(server, old_client, "localhost")

    assert outcome.client_version is None and outcome.reply == b""
    assert isinstance(outcome.client_error, ssl.SSLError)
    assert isinstance(outcome.server_error, ssl.SSLError)
    assert "UNSUPPORTED_PROTOCOL" in str(outcome.server_error).upper()


def test_a_wrong_passphrase_is_a_clear_error_not_a_terminal_prompt(tmp_path: Path) -> None:
    files = ensure_certificate(tmp_path / "tls")

    for passphrase in (None, "not the passphrase"):
        with pytest.raises(CertificateError, match="cannot be used for TLS"):
            server_context(files, passphrase)


# --- a certificate the user brings -------------------------------------------------------


def write_pair(
    folder: Path,
    name: str,
    *,
    days_left: int = 365,
    passphrase: str | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
) -> tuple[Path, Path]:
    """A self-signed PEM certificate and key as a user might have them from their own CA."""
    folder.mkdir(parents=True, exist_ok=True)
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "logs.example.org")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=400))
        .not_valid_after(now + timedelta(days=days_left))
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    return cert_path, key_path


def test_a_good_user_pair_is_accepted_and_serves_tls(tmp_path: Path) -> None:
    cert_path, key_path = write_pair(tmp_path, "mine", passphrase="correct horse")

    files = user_certificate(cert_path, key_path, "correct horse")

    assert isinstance(files, TlsFiles)
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert files.fingerprint == certificate.fingerprint(hashes.SHA256()).hex()
    client = ssl.create_default_context(cafile=str(cert_path))
    client.check_hostname = False
    outcome = handshake(server_context(files, "correct horse"), client, "logs.example.org")
    assert outcome.reply == b"HELLO COLLECTOR"


def test_certificate_and_key_may_share_one_file(tmp_path: Path) -> None:
    cert_path, key_path = write_pair(tmp_path, "mine")
    combined = tmp_path / "combined.pem"
    combined.write_bytes(cert_path.read_bytes() + key_path.read_bytes())

    assert user_certificate(combined, combined).cert == combined


def test_a_key_from_another_certificate_is_named(tmp_path: Path) -> None:
    cert_path, _ = write_pair(tmp_path, "mine")
    _, other_key = write_pair(tmp_path, "other")

    with pytest.raises(WatchkeeperError) as raised:
        user_certificate(cert_path, other_key)
    assert str(raised.value) == (
        "The private key other.key does not belong to the certificate "
        "mine.crt: their public keys differ."
    )


def test_an_expired_certificate_is_named_with_its_date(tmp_path: Path) -> None:
    cert_path, key_path = write_pair(tmp_path, "old", days_left=-3)
    expired_on = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d")

    with pytest.raises(WatchkeeperError, match=rf"old\.crt expired on {expired_on}"):
        user_certificate(cert_path, key_path)


def test_files_that_are_not_pem_are_named(tmp_path: Path) -> None:
    cert_path, key_path = write_pair(tmp_path, "mine")
    text = tmp_path / "notes.txt"
    text.write_text("this is not a certificate\n")
    der = tmp_path / "mine.der"
    der.write_bytes(
        x509.load_pem_x509_certificate(cert_path.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )

    with pytest.raises(WatchkeeperError, match=r"^notes\.txt is not a PEM certificate"):
        user_certificate(text, key_path)
    with pytest.raises(WatchkeeperError, match=r"mine\.der is not a PEM certificate.*DER"):
        user_certificate(der, key_path)
    with pytest.raises(WatchkeeperError, match=r"^notes\.txt is not a PEM private key"):
        user_certificate(cert_path, text)


def test_a_wrong_or_missing_passphrase_is_named(tmp_path: Path) -> None:
    cert_path, key_path = write_pair(tmp_path, "locked", passphrase="correct horse")

    with pytest.raises(
        WatchkeeperError,
        match=r"passphrase does not open the private key "
        r"locked\.key",
    ):
        user_certificate(cert_path, key_path, "battery staple")
    with pytest.raises(WatchkeeperError, match=r"locked\.key is encrypted: enter its passphrase"):
        user_certificate(cert_path, key_path)


def test_missing_files_are_named(tmp_path: Path) -> None:
    cert_path, key_path = write_pair(tmp_path, "mine")

    with pytest.raises(WatchkeeperError, match=r"certificate file .*gone\.crt does not exist"):
        user_certificate(tmp_path / "gone.crt", key_path)
    with pytest.raises(WatchkeeperError, match=r"private key file .*gone\.key does not exist"):
        user_certificate(cert_path, tmp_path / "gone.key")


# --- the HTTP token ----------------------------------------------------------------------


def test_the_http_token_is_made_once_and_rotated_on_request(memory_keyring: MemoryKeyring) -> None:
    token = ensure_http_token()

    assert len(token) >= 43 and token.replace("-", "").replace("_", "").isalnum()
    assert ensure_http_token() == token
    assert memory_keyring.secrets[(SERVICE, HTTP_TOKEN_SECRET)] == token
    rotated = rotate_http_token()
    assert rotated != token
    assert ensure_http_token() == rotated


# --- without a keyring -------------------------------------------------------------------


class PlaintextLikeKeyring(KeyringBackend):
    """Stands for keyrings.alt's file backends, which keep secrets readable on disk."""

    priority = 1
    viable = False

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("a plain-text keyring must never be written to")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("a plain-text keyring must never be used")


PlaintextLikeKeyring.__module__ = "keyrings.alt.file"


@pytest.mark.parametrize(
    "backend_class",
    [fail.Keyring, null.Keyring, PlaintextLikeKeyring],
    ids=["fail", "null", "keyrings.alt"],
)
def test_without_a_keyring_secrets_are_refused_in_a_plain_sentence(
    tmp_path: Path, backend_class: type[KeyringBackend]
) -> None:
    keyring.set_keyring(backend_class())
    described = f"{backend_class.__module__}.{backend_class.__qualname__}"

    with pytest.raises(SecretsUnavailable) as raised:
        set_secret("smtp-password", "hunter2")
    assert str(raised.value).startswith(
        f'No keyring is available ({described}): {NO_KEYRING} "smtp-password"'
    )
    assert raised.value.title == "No keyring"
    with pytest.raises(SecretsUnavailable, match="No keyring is available"):
        get_secret("smtp-password")
    with pytest.raises(SecretsUnavailable, match="No keyring is available"):
        ensure_http_token()
    with pytest.raises(SecretsUnavailable, match="No keyring is available"):
        ensure_certificate(tmp_path / "tls")

    assert all_bytes_under(tmp_path) == []
    assert not (tmp_path / "tls").exists()


# --- a real keyring ----------------------------------------------------------------------

GNOME_KEYRING_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path

    import keyring

    from watchkeeper.collect import certificates, secrets

    assert type(keyring.get_keyring()).__module__ == "keyring.backends.SecretService", \\
        keyring.get_keyring()
    secrets.set_secret("test-secret", "s3cret")
    assert secrets.get_secret("test-secret") == "s3cret"
    secrets.delete_secret("test-secret")
    secrets.delete_secret("test-secret")
    assert secrets.get_secret("test-secret") is None
    folder = Path(sys.argv[1])
    first = certificates.ensure_certificate(folder)
    assert certificates.ensure_certificate(folder) == first
    passphrase = secrets.get_secret(certificates.PASSPHRASE_SECRET)
    certificates.server_context(first, passphrase)
    assert all(passphrase.encode() not in path.read_bytes() for path in folder.iterdir())
    token = certificates.ensure_http_token()
    assert certificates.ensure_http_token() == token
    print("kept in the Secret Service")
""")


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (Debian packages "
    "dbus and gnome-keyring)",
)
def test_secrets_and_certificate_in_a_real_gnome_keyring(tmp_path: Path) -> None:
    home = tmp_path / "user"
    home.mkdir()
    script = tmp_path / "check_keyring.py"
    script.write_text(GNOME_KEYRING_SCRIPT)
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DBUS_", "XDG_", "GNOME_KEYRING", "PYTHON_KEYRING"))
    }
    environment["HOME"] = str(home)  # a fresh login keyring, unlocked with the password below
    command = (
        f"echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
        f"exec '{sys.executable}' '{script}' '{tmp_path / 'tls'}'"
    )

    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("kept in the Secret Service")


def test_no_session_tickets_are_sent_to_senders_that_only_write(tmp_path: Path) -> None:
    # unread TLS 1.3 tickets make a closing sender reset the connection, losing its last lines
    files = ensure_certificate(tmp_path)
    context = server_context(files, get_secret(PASSPHRASE_SECRET))
    assert context.num_tickets == 0
