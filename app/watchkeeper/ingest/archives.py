"""Expanding .zip, .gz and .tar archives into files to import, with a guard against bombs."""

from __future__ import annotations

import gzip
import shutil
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from watchkeeper.core.errors import ImportFailed

MAX_RATIO = 250  # logs compress 5- to 50-fold; far beyond that is a compression bomb
MIN_ALLOWANCE = 64 << 20  # small archives may still expand to this much
_CHUNK = 1 << 20


@dataclass
class Member:
    name: str  # "outer.zip!inner/file.log"
    path: Path | None  # extracted copy; None when the member could not be extracted
    problem: str = ""  # why not, or what is missing from a partial copy


def kind(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    return None


def _copy_limited(source: IO[bytes], target: Path, limit: int, name: str) -> None:
    written = 0
    # read1 hands over what is decompressed so far, so a truncated gzip keeps its good part
    read = getattr(source, "read1", source.read)
    with target.open("wb") as out:
        while True:
            chunk = read(_CHUNK)
            if not chunk:
                return
            written += len(chunk)
            if written > limit:
                raise ImportFailed(
                    f"{name}: expands to more than {limit:,} bytes, over {MAX_RATIO} times its "
                    "compressed size (a compression bomb?); not imported")
            out.write(chunk)


def expand(path: Path, name: str, archive_kind: str, workdir: Path) -> Iterator[Member]:
    """Each member of an archive, extracted into `workdir`, one at a time.

    A member that cannot be extracted comes with its problem and the others still come;
    an archive that cannot be opened at all raises ImportFailed.
    """
    compressed = path.stat().st_size
    limit = max(MAX_RATIO * compressed, MIN_ALLOWANCE)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if archive_kind == "gzip":
            yield from _gzip(path, name, workdir, limit)
        elif archive_kind == "zip":
            yield from _zip(path, name, workdir, limit)
        else:
            yield from _tar(path, name, workdir, limit)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _extract(source: IO[bytes], target: Path, limit: int, name: str) -> Member:
    try:
        _copy_limited(source, target, limit, name)
    except ImportFailed as error:
        target.unlink(missing_ok=True)
        return Member(name, None, error.message)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        if target.exists() and target.stat().st_size:
            return Member(name, target, f"{name}: archive member is damaged or truncated "
                          f"({error}); its readable part was imported")
        target.unlink(missing_ok=True)
        return Member(name, None, f"{name}: damaged archive member ({error})")
    return Member(name, target)


def _gzip(path: Path, name: str, workdir: Path, limit: int) -> Iterator[Member]:
    inner = name[:-3] if name.lower().endswith(".gz") else name
    with gzip.open(path, "rb") as source:
        yield _extract(source, workdir / "member", limit, f"{name}!{Path(inner).name}")  # type: ignore[arg-type]


def _zip(path: Path, name: str, workdir: Path, limit: int) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ImportFailed(f"{name}: damaged zip archive ({error})") from error
    with archive:
        for index, info in enumerate(archive.infolist()):
            if info.is_dir():
                continue
            member_name = f"{name}!{info.filename}"
            if info.flag_bits & 0x1:
                yield Member(member_name, None, f"{member_name}: encrypted; extract it first")
                continue
            target = workdir / f"member-{index}"
            try:
                with archive.open(info) as source:
                    yield _extract(source, target, limit, member_name)
            except (OSError, zipfile.BadZipFile, NotImplementedError) as error:
                yield Member(member_name, None, f"{member_name}: cannot be extracted ({error})")
            target.unlink(missing_ok=True)


def _tar(path: Path, name: str, workdir: Path, limit: int) -> Iterator[Member]:
    try:
        archive = tarfile.open(path)  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as error:
        raise ImportFailed(f"{name}: damaged tar archive ({error})") from error
    with archive:
        index = 0
        try:
            for info in archive:
                index += 1
                if not info.isfile():
                    continue
                source = archive.extractfile(info)
                if source is None:
                    continue
                target = workdir / f"member-{index}"
                with source:
                    yield _extract(source, target, limit, f"{name}!{info.name}")
                target.unlink(missing_ok=True)
        except (OSError, tarfile.TarError) as error:
            yield Member(f"{name}!(after member {index})", None,
                         f"{name}: the archive is damaged after member {index} ({error})")
