"""SigmaHQ's rules as Watchkeeper ships them: the set in use, the profiles that choose from it,
and taking a release's rules into a folder.

A release holds thousands of rules for products whose logs never reach this store (cloud
audit logs, web servers, network appliances). Taking a release keeps the files whose every
rule has a log source the store can feed, and lists the rest in the set's manifest with the
reason, so `rules` and the window can say what was left idle and why.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.detection.rules import Rule, RuleCache, load_rules

MANIFEST = "SIGMAHQ.json"
FOLDER = "sigmahq"
# a release zip is refused past these: the real ones are about 20 MB and 4,000 files
MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_ZIP_FILES = 50_000


@dataclass(frozen=True)
class Profile:
    """Which of SigmaHQ's rules run: by status and level, as Hayabusa's core/core+/all."""

    key: str
    name: str
    statuses: tuple[str, ...] | None  # None: every status
    levels: tuple[str, ...] | None  # None: every level
    description: str

    def admits(self, rule: Rule) -> bool:
        if self.statuses is not None and rule.status not in self.statuses:
            return False
        return self.levels is None or rule.level in self.levels


PROFILES: dict[str, Profile] = {
    "core": Profile(
        "core",
        "Core",
        ("stable", "test"),
        ("high", "critical"),
        "stable and test rules of level high and critical: few false alarms",
    ),
    "broad": Profile(
        "broad",
        "Broad",
        ("stable", "test"),
        ("medium", "high", "critical"),
        "adds the medium rules: more to look at, more found",
    ),
    "hunting": Profile(
        "hunting",
        "Hunting",
        None,
        None,
        "every rule, experimental and low included: for hunting, not for daily alerts",
    ),
}
DEFAULT_PROFILE = "core"


def profile(key: str) -> Profile:
    return PROFILES.get(key, PROFILES[DEFAULT_PROFILE])


def shipped_set() -> Path:
    return paths.rules_dir() / FOLDER


def updates_dir() -> Path:
    """Where updated sets go: the installed folder may not be writable."""
    return paths.data_dir() / "rules" / FOLDER


def active_set() -> Path:
    """The SigmaHQ set in use: the last update applied, else the one shipped."""
    current = updates_dir() / "current"
    return current if (current / MANIFEST).is_file() else shipped_set()


@dataclass
class Manifest:
    """What a set folder holds and what was left out of it, written beside its rules."""

    release: str
    taken: str  # the date the set was taken, ISO
    source: str  # the file or folder name it was taken from (no path)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    # rule id -> [relative path, title, level, status]
    rules: dict[str, list[str]] = field(default_factory=dict)
    idle: dict[str, int] = field(default_factory=dict)  # reason -> rules
    failing: dict[str, str] = field(default_factory=dict)  # relative path -> reason

    def save(self, folder: Path) -> None:
        text = json.dumps(asdict(self), indent=1, sort_keys=True, ensure_ascii=False)
        (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")


def read_manifest(folder: Path) -> Manifest | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return Manifest(**data)
    except (OSError, ValueError, TypeError):
        return None


_described: dict[tuple[Path, int, int], dict[str, Any]] = {}


def described(folder: Path) -> dict[str, Any]:
    """`describe` of a set's manifest, read again only when the manifest file changes: every
    detection run shows it, and the manifest is a megabyte of JSON."""
    try:
        stat = (folder / MANIFEST).stat()
    except OSError:
        return {}
    key = (folder, stat.st_mtime_ns, stat.st_size)
    if key not in _described:
        manifest = read_manifest(folder)
        _described.clear()
        _described[key] = describe(manifest) if manifest else {}
    return _described[key]


def idle_reason(rule: Rule) -> str | None:
    """Why a rule can never run on this store, or None when it can."""
    if rule.applies():
        return None
    source = rule.logsource
    product = source.get("product")
    names = (product, source.get("category"), source.get("service"))
    what = " ".join(dict.fromkeys(v for v in names if v))  # okta's service is okta too
    if product in ("windows", "linux", "macos"):
        return f"Watchkeeper does not read {what} logs yet"
    return f"no {what or 'such'} logs reach Watchkeeper"


def take(
    source: Path,
    dest: Path,
    release: str = "",
    today: date | None = None,
    progress: Progress | None = None,
    cache: RuleCache | None = None,
) -> Manifest:
    """Copy the rules of a SigmaHQ release (a zip or a folder) that can run here into `dest`,
    which must not exist yet, with the manifest. Nothing is left behind when it fails."""
    if dest.exists():
        raise WatchkeeperError(f"{dest} already exists.", title="Rules not taken")
    with _unpacked(source) as root:
        roots = _rule_roots(root)
        ruleset = load_rules(roots, progress=progress, cache=cache)
        manifest = Manifest(
            release=release or _release_name(source),
            taken=(today or date.today()).isoformat(),
            source=source.name,
        )
        by_file: dict[str, list[Rule]] = {}
        for rule in ruleset.rules:
            by_file.setdefault(_relative(Path(rule.path), root), []).append(rule)
        idle: Counter[str] = Counter()
        for name, rules in by_file.items():
            reasons = [r for r in (idle_reason(rule) for rule in rules) if r]
            if reasons:
                idle.update(reasons)
                continue
            for rule in rules:
                manifest.rules[rule.rule_id] = [name, rule.title, rule.level, rule.status]
        for problem in ruleset.problems:
            manifest.failing.setdefault(_relative(Path(problem.path), root), problem.reason)
        manifest.idle = dict(idle.most_common())
        staging = Path(tempfile.mkdtemp(prefix=".taking-", dir=_parent(dest)))
        try:
            staging.chmod(0o755)  # mkdtemp's folder is the owner's only; rules are for all
            for name in sorted({entry[0] for entry in manifest.rules.values()}):
                data = (root / name).read_bytes()
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                manifest.files[name] = hashlib.sha256(data).hexdigest()
            for licence in ("LICENSE", "LICENSE.Detection.Rules.md"):
                if (root / licence).is_file():
                    shutil.copyfile(root / licence, staging / licence)
            manifest.save(staging)
            staging.rename(dest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return manifest


def _parent(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.parent


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _rule_roots(root: Path) -> list[Path]:
    """A release's rule folders (rules/, rules-threat-hunting/, ...), or the folder itself.

    Placeholder rules need values a small office does not have; deprecated ones are retired.
    """
    roots = [
        p
        for p in sorted(root.iterdir())
        if p.is_dir() and p.name.startswith("rules") and p.name != "rules-placeholder"
    ]
    return roots or [root]


def _release_name(source: Path) -> str:
    version = next((p for p in (source / "version.txt", source / "VERSION") if p.is_file()), None)
    if version is not None:
        return version.read_text(encoding="utf-8", errors="replace").strip()[:60]
    return source.stem


@contextmanager
def _unpacked(source: Path) -> Iterator[Path]:
    """A folder as it is; a zip unpacked into a temporary folder (only its YAML and licence)."""
    if source.is_dir():
        yield _single_child(source)
        return
    if not source.is_file():
        raise WatchkeeperError(f"There is no file or folder at {source}.", title="Rules not found")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise WatchkeeperError(
            f"{source.name} is not a zip of Sigma rules ({error}).", title="Rules not taken"
        ) from None
    with archive, tempfile.TemporaryDirectory(prefix="watchkeeper-rules-") as folder:
        _extract(archive, source.name, Path(folder))
        yield _single_child(Path(folder))


def _extract(archive: zipfile.ZipFile, name: str, into: Path) -> None:
    members = archive.infolist()
    if len(members) > MAX_ZIP_FILES or sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise WatchkeeperError(
            f"{name} is larger than any SigmaHQ release; not taken.", title="Rules not taken"
        )
    for member in members:
        parts = PurePosixPath(member.filename.replace("\\", "/")).parts
        if member.is_dir() or not parts or ".." in parts or parts[0] in ("/", ""):
            continue
        leaf = parts[-1]
        if not (leaf.lower().endswith((".yml", ".yaml")) or leaf.startswith("LICENSE")):
            continue
        target = into.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.write_bytes(archive.read(member))
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise WatchkeeperError(
                f"{name} is damaged: {member.filename} cannot be read ({error}).",
                title="Rules not taken",
            ) from None


def _single_child(folder: Path) -> Path:
    """A zip of `sigma-r2026-08-05/rules/...` holds one folder: the release is inside it."""
    children = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(children) == 1 and children[0].is_dir() and not children[0].name.startswith("rules"):
        return children[0]
    return folder


def counts(rules: list[Rule], shipped: Path) -> dict[str, int]:
    """How many of the set's rules each profile runs."""
    root = str(shipped)
    ours = [rule for rule in rules if rule.path.startswith(root)]
    return {key: sum(1 for rule in ours if p.admits(rule)) for key, p in PROFILES.items()}


def describe(manifest: Manifest) -> dict[str, Any]:
    return {
        "release": manifest.release,
        "taken": manifest.taken,
        "source": manifest.source,
        "files": len(manifest.files),
        "rules": len(manifest.rules),
        "idle": manifest.idle,
        "failing": len(manifest.failing),
    }


def compile_shipped(target: Path, progress: Progress | None = None) -> int:
    """Compile the shipped rules (the own pack and SigmaHQ's set) into a cache at `target`,
    for an installer's bundle; the number of rules compiled."""
    target.parent.mkdir(parents=True, exist_ok=True)
    cache = RuleCache(target)
    try:
        ruleset = load_rules([paths.rules_dir(), shipped_set()], progress=progress, cache=cache)
    finally:
        cache.close()
    return ruleset.compiled
