"""Every planned platform's configuration in one folder (or zip), and what each file is for.

The wizard's third step and `setup configs` write through here: one folder per platform
(setup.configs.write_configs), then optionally one zip of them all to copy to other PCs.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from watchkeeper.core.progress import Progress
from watchkeeper.setup.catalogue import PlatformKind
from watchkeeper.setup.configs import (
    CONFIG_PLATFORMS,
    ConfigError,
    NothingChosen,
    write_configs,
    zip_configs,
)
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan

# the configuration folder each kind of device is set up from
CONFIG_PLATFORM: dict[PlatformKind, str] = {
    "windows": "windows",
    "domain_controller": "windows",
    "linux": "linux",
    "macos": "macos",
    "network": "network",
    "mdm": "mdm",
}


@dataclass(frozen=True)
class GeneratedFile:
    path: Path  # where it was written (inside the zip: its path there)
    platform: str
    summary: str  # its line from the platform's README, or "" when it has none


@dataclass
class Generated:
    folder: Path  # the folder written, or the zip's folder
    archive: Path | None = None
    files: list[GeneratedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one sentence per platform not written


def config_platforms(plan: LoggingPlan) -> list[str]:
    """The configuration folders the plan needs, once each, for the kinds it counts."""
    wanted = {CONFIG_PLATFORM[kind] for kind, p in plan.platforms.items() if p.count > 0}
    return [name for name in CONFIG_PLATFORMS if name in wanted]


def readme_summaries(readme: str, names: list[str]) -> dict[str, str]:
    """For each file name, the first README line that names it, without the name."""
    summaries: dict[str, str] = {}
    lines = [line.strip() for line in readme.splitlines()]
    for name in names:
        for line in lines:
            if name in line and line != name:
                # "name: what it is" gives what it is; a sentence naming it is kept whole
                bare = line.lstrip(" -*•`")
                rest = bare[len(name) :] if bare.startswith(name) else line
                summaries[name] = rest.strip(" -:–—*•`\t") or line
                break
    if "README.txt" in names and "README.txt" not in summaries:
        summaries["README.txt"] = next((line for line in lines if line), "")
    return summaries


def generate_all(
    plan: LoggingPlan,
    endpoint: Endpoint,
    out: Path,
    *,
    as_zip: Path | None = None,
    progress: Progress | None = None,
) -> Generated:
    """Write every planned platform's files under `out` (or into the zip `as_zip`)."""
    progress = progress or Progress()
    platforms = config_platforms(plan)
    if not platforms:
        raise ConfigError(
            "The plan has no devices yet: count them in the first step, then generate."
        )
    work = Path(tempfile.mkdtemp(prefix="watchkeeper-configs-")) if as_zip else out
    try:
        result = Generated(folder=out if as_zip is None else as_zip.parent, archive=as_zip)
        for number, platform in enumerate(platforms):
            progress.update(stage="Writing configuration", item=platform, done=number)
            progress.update(total=len(platforms))
            try:
                written = write_configs(plan, platform, work, endpoint)
            except NothingChosen as error:
                result.skipped.append(error.message)
                continue
            result.files += _described(written, work, platform, as_zip)
            progress.check()
        if as_zip is not None:
            progress.update(stage="Writing the zip", item=as_zip.name)
            zip_configs(work, as_zip)
        progress.update(done=len(platforms))
        return result
    finally:
        if as_zip is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(work)


def _described(
    written: list[Path], work: Path, platform: str, as_zip: Path | None
) -> list[GeneratedFile]:
    readme = work / platform / "README.txt"
    text = readme.read_text(encoding="utf-8", errors="replace") if readme.exists() else ""
    names = [path.relative_to(work / platform).as_posix() for path in written]
    summaries = readme_summaries(text, names)
    files: list[GeneratedFile] = []
    for path, name in zip(written, names, strict=True):
        shown = Path(platform) / name if as_zip is not None else path
        files.append(GeneratedFile(shown, platform, summaries.get(name, "")))
    return files
