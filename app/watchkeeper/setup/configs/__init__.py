"""Configuration for the endpoints, per platform, generated from the plan and the endpoint.

Each platform's module has `generate(plan, endpoint) -> dict[str, str]`: relative file path
to its text. Every platform's folder has a README.txt with what each file does and the
one-liner that applies it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan

CONFIG_PLATFORMS = ("windows", "linux", "macos", "network", "mdm")
Generator = Callable[[LoggingPlan, Endpoint], dict[str, str]]


class ConfigError(WatchkeeperError):
    title = "Configuration not written"


class NothingChosen(ConfigError):
    """The plan counts devices of a platform but chooses none of their logs."""


def listening_note(plan: LoggingPlan, who: str) -> list[str]:
    """README lines saying that network listening is off, when it is, and where to turn it on."""
    if plan.receiving.listen_on_network:
        return []
    return [
        "Network listening is off, so the collector only hears its own computer: tick",
        '"Listen on the network" in the setup wizard\'s third step (or Settings ▸ Receiving)',
        f"before {who} can send.",
        "",
    ]


def generator(platform: str) -> Generator:
    """The platform's generator; imported by name so a frozen bundle carries each module."""
    if platform == "network":
        from watchkeeper.setup.configs import network

        return network.generate
    if platform == "windows":
        from watchkeeper.setup.configs import windows

        return windows.generate
    if platform == "linux":
        from watchkeeper.setup.configs import linux

        return linux.generate
    if platform == "macos":
        from watchkeeper.setup.configs import macos

        return macos.generate
    if platform == "mdm":
        from watchkeeper.setup.configs import mdm

        return mdm.generate
    raise ConfigError(
        f"There is no configuration for “{platform}” (there is for {', '.join(CONFIG_PLATFORMS)})."
    )


# What may stand in a generated file where the collector's address, token and fingerprint go:
# anything else (a quote, a space, a newline) could end a string early and change the file.
_ADDRESS = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{1,512}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def check_endpoint(endpoint: Endpoint) -> None:
    """ConfigError, one sentence, for an endpoint a generated file could not hold safely."""
    if not _ADDRESS.match(endpoint.address):
        shown = "".join(c if c.isprintable() else "?" for c in endpoint.address)
        shown = shown if len(shown) <= 60 else shown[:57] + "…"
        raise ConfigError(
            f"“{shown}” cannot be the collector's address in a configuration file: use its "
            "host name or IP address (letters, digits, dots and dashes, no spaces or quotes)."
        )
    for name, port in endpoint.ports.items():
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ConfigError(f"The {name} port must be from 1 to 65535, not {port!r}.")
    if endpoint.http_token and not _TOKEN.match(endpoint.http_token):
        raise ConfigError(
            "The HTTP listener's token has characters a configuration file cannot hold: "
            "make a new one in Settings ▸ Receiving."
        )
    if endpoint.fingerprint and not _FINGERPRINT.match(endpoint.fingerprint):
        raise ConfigError("The collector's certificate fingerprint is not a SHA-256 in hex.")


def generate(plan: LoggingPlan, platform: str, endpoint: Endpoint) -> dict[str, str]:
    produce = generator(platform)
    check_endpoint(endpoint)
    return produce(plan, endpoint)


def write_configs(plan: LoggingPlan, platform: str, out: Path, endpoint: Endpoint) -> list[Path]:
    """The platform's files under `out/<platform>/`, written whole; the paths written."""
    files = generate(plan, platform, endpoint)
    folder = out / platform
    written: list[Path] = []
    try:
        for relative, text in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(path.name + ".tmp")
            # CRLF where Windows reads the file, so Notepad shows its lines
            newline = (
                "\r\n"
                if path.suffix.lower() in (".ps1", ".cmd", ".bat", ".conf")
                and (platform == "windows")
                else "\n"
            )
            temporary.write_text(text, encoding="utf-8", newline=newline)
            temporary.replace(path)
            written.append(path)
    except OSError as error:
        raise ConfigError(
            f"The {platform} configuration could not be written in {folder} "
            f"({error.strerror or error})."
        ) from None
    return written


def zip_configs(folder: Path, archive: Path) -> Path:
    """Every file under `folder` in one zip, paths relative to it (to copy to another PC)."""
    try:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    bundle.write(path, path.relative_to(folder).as_posix())
    except OSError as error:
        raise ConfigError(
            f"{archive.name} could not be written ({error.strerror or error})."
        ) from None
    return archive
