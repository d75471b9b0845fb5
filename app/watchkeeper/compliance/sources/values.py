"""Reading cell values: yes/no words in three languages, platforms, OS names, serials."""

from __future__ import annotations

import re
import unicodedata

from watchkeeper.compliance.model import (
    PLATFORM_ANDROID,
    PLATFORM_CHROMEOS,
    PLATFORM_IOS,
    PLATFORM_LINUX,
    PLATFORM_MACOS,
    PLATFORM_OTHER,
    PLATFORM_WINDOWS,
)

YES = frozenset(
    {
        "true",
        "yes",
        "y",
        "1",
        "on",
        "enabled",
        "enable",
        "active",  # English
        "wahr",
        "ja",
        "aktiviert",
        "aktiv",
        "ein",  # German
        "vrai",
        "oui",
        "activé",
        "actif",  # French
    }
)
NO = frozenset(
    {
        "false",
        "no",
        "n",
        "0",
        "off",
        "disabled",
        "disable",
        "inactive",
        "falsch",
        "nein",
        "deaktiviert",
        "inaktiv",
        "aus",
        "faux",
        "non",
        "désactivé",
        "inactif",
    }
)
UNKNOWN = frozenset(
    {
        "",
        "unknown",
        "n/a",
        "na",
        "-",
        "--",
        "none",
        "null",
        "not available",
        "not applicable",
        "unbekannt",
        "nicht verfügbar",
        "k. a.",
        "k.a.",
        "inconnu",
        "inconnue",
        "non disponible",
    }
)

# Serial numbers that firmware writes when nobody set one: they name no device.
_PLACEHOLDER_SERIALS = frozenset(
    {
        "0",
        "00000000",
        "0000000000",
        "123456789",
        "none",
        "default string",
        "to be filled by o.e.m.",
        "system serial number",
        "not specified",
        "not applicable",
        "chassis serial number",
        "serial number",
        "invalid",
        "unknown",
        "n/a",
    }
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_VERSION_AT_END = re.compile(r"^(?P<name>.*?[A-Za-z)])\s*(?P<version>\d+(?:[.\d]*\d)?)\s*$")
_EVIDENCE_LIMIT = 160

_PLATFORM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Order matters: "ipados" before "macos" (both Apple), "chrome" before "linux".
    (PLATFORM_IOS, ("ios", "ipados", "iphone", "ipad")),
    (PLATFORM_ANDROID, ("android",)),
    (PLATFORM_CHROMEOS, ("chromeos", "chrome os", "cros", "chromebook")),
    (PLATFORM_WINDOWS, ("windows", "win10", "win11")),
    (PLATFORM_MACOS, ("macos", "mac os", "os x", "osx", "darwin", "mac")),
    (
        PLATFORM_LINUX,
        (
            "linux",
            "ubuntu",
            "debian",
            "rhel",
            "red hat",
            "centos",
            "fedora",
            "suse",
            "rocky",
            "almalinux",
            "arch",
        ),
    ),
)


def words(text: str) -> str:
    """A cell as a word to look up: trimmed, lower case, one space between words."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def flag(
    text: str, yes: frozenset[str] = YES, no: frozenset[str] = NO, unknown: frozenset[str] = UNKNOWN
) -> bool | None:
    """True or False for a yes/no cell; None when it says unknown.

    Raises ValueError for a value that is none of these, so the caller can report it.
    """
    word = words(text)
    if word in yes:
        return True
    if word in no:
        return False
    if word in unknown:
        return None
    raise ValueError(text)


def platform_of(*texts: str | None) -> str:
    """The platform an OS name, device type or model names; the first text that tells wins."""
    for text in texts:
        if not text:
            continue
        word = words(text).replace("_", " ")
        squeezed = word.replace(" ", "")
        for platform, names in _PLATFORM_WORDS:
            if any(_mentions(word, squeezed, name) for name in names):
                return platform
    return PLATFORM_OTHER


def _mentions(word: str, squeezed: str, name: str) -> bool:
    if " " in name:
        return name in word
    if name in ("mac", "arch", "ios", "cros"):  # short names only as whole words
        return re.search(rf"(?<![a-z]){name}(?![a-z])", word) is not None
    return name in squeezed


def split_os(text: str) -> tuple[str, str | None]:
    """'Android 14' -> ('Android', '14'); 'Windows' -> ('Windows', None)."""
    stripped = text.strip()
    match = _VERSION_AT_END.match(stripped)
    if match is None:
        return stripped, None
    return match.group("name").strip(), match.group("version")


def serial_or_none(text: str | None) -> str | None:
    """A serial number, or None for an empty cell or a firmware placeholder."""
    if text is None:
        return None
    stripped = text.strip()
    if not stripped or words(stripped) in _PLACEHOLDER_SERIALS:
        return None
    return stripped


def shown(raw: str) -> str:
    """A raw value as evidence shows it: quoted, control characters escaped, long ones cut.

    The record keeps the value as it was; only the sentence about it is made safe to read.
    """
    cut = raw if len(raw) <= _EVIDENCE_LIMIT else raw[:_EVIDENCE_LIMIT] + "…"
    escaped = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), cut)
    return '"' + escaped.replace('"', '\\"') + '"'
