"""Configuration for the endpoints, per platform, generated from the plan and the endpoint.

Each platform's module has `generate(plan, endpoint) -> dict[str, str]`: relative file path
to its text. Every platform's folder has a README.txt with what each file does and the
one-liner that applies it.
"""

from __future__ import annotations

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


def generator(platform: str) -> Generator:
    """The platform's generator; imported by name so a frozen bundle carries each module."""
    if platform == "network":
        from watchkeeper.setup.configs import network

        return network.generate
    if platform == "windows":
        from watchkeeper.setup.configs import windows

        return windows.generate
    raise ConfigError(
        f"There is no configuration for “{platform}” (there is for {', '.join(CONFIG_PLATFORMS)})."
    )


def generate(plan: LoggingPlan, platform: str, endpoint: Endpoint) -> dict[str, str]:
    return generator(platform)(plan, endpoint)


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
