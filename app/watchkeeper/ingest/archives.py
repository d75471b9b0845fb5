"""Expanding .zip, .gz and .tar archives into files to import, with a guard against bombs."""

from __future__ import annotations

import gzip
import shutil
import stat
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
    skipped: bool = False  # not a file to import (a link, a device): said, not a failure


class Budget:
    """What an archive may expand to, all its members together: a bomb of many members,
    each of them under any limit of its own, still stops at the archive's."""

    def __init__(self, archive: str, limit: int) -> None:
        self.archive = archive
        self.limit = limit
        self.left = limit

    def over(self) -> str:
        return (
            f"{self.archive}: expands to more than {self.limit:,} bytes, over {MAX_RATIO} "
            "times its compressed size (a compression bomb?); the rest of it was not "
            "imported"
        )

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise ImportFailed(self.over())


# extracted member -> the budget of the archive it came from, while it is being imported:
# an archive inside it spends from the same budget, so nesting cannot multiply it
_lent: dict[Path, Budget] = {}


def _lend(member: Member, budget: Budget) -> Iterator[Member]:
    if member.path is None:
        yield member
        return
    _lent[member.path] = budget
    try:
        yield member
    finally:
        _lent.pop(member.path, None)


def kind(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    return None


def allowance(compressed: int) -> int:
    """How many bytes an archive of this size may expand to, in all."""
    return max(MAX_RATIO * compressed, MIN_ALLOWANCE)


def _copy_limited(source: IO[bytes], target: Path, budget: Budget) -> None:
    # read1 hands over what is decompressed so far, so a truncated gzip keeps its good part
    read = getattr(source, "read1", source.read)
    with target.open("wb") as out:
        while True:
            chunk = read(_CHUNK)
            if not chunk:
                return
            budget.take(len(chunk))
            out.write(chunk)


def expand(
    path: Path, name: str, archive_kind: str, workdir: Path, limit: int | None = None
) -> Iterator[Member]:
    """Each member of an archive, extracted into `workdir`, one at a time.

    A member that cannot be extracted comes with its problem and the others still come;
    an archive that cannot be opened at all raises ImportFailed. The members together
    expand to at most `limit` bytes (by default `allowance` of the archive's size); past
    it, the rest of the archive is refused. An archive inside another spends from the outer
    one's budget. An archive with no file to import says so.
    """
    budget = _lent.get(path) or Budget(
        name, limit if limit is not None else allowance(path.stat().st_size)
    )
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if archive_kind == "gzip":
            yield from _gzip(path, name, workdir, budget)
        elif archive_kind == "zip":
            yield from _zip(path, name, workdir, budget)
        else:
            yield from _tar(path, name, workdir, budget)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _extract(source: IO[bytes], target: Path, budget: Budget, name: str) -> Member:
    try:
        _copy_limited(source, target, budget)
    except ImportFailed as error:
        target.unlink(missing_ok=True)
        return Member(name, None, error.message)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        if target.exists() and target.stat().st_size:
            return Member(
                name,
                target,
                f"{name}: archive member is damaged or truncated "
                f"({error}); its readable part was imported",
            )
        target.unlink(missing_ok=True)
        return Member(name, None, f"{name}: damaged archive member ({error})")
    return Member(name, target)


def _nothing(name: str, folders: int, skipped: int) -> Member:
    """The one thing to say about an archive without a file to import."""
    if skipped:
        why = f"it holds no files, only {skipped:,} link(s) or special file(s), skipped"
    elif folders:
        why = f"it holds only {folders:,} folder(s), no files"
    else:
        why = "it is empty"
    return Member(name, None, f"{name}: nothing to import: {why}")


def _gzip(path: Path, name: str, workdir: Path, budget: Budget) -> Iterator[Member]:
    inner = name[:-3] if name.lower().endswith(".gz") else name
    with gzip.open(path, "rb") as source:
        member = _extract(source, workdir / "member", budget, f"{name}!{Path(inner).name}")  # type: ignore[arg-type]
    yield from _lend(member, budget)


def _zip_special(info: zipfile.ZipInfo) -> str:
    """What a zip member other than a plain file is (a link, made on Unix), or ''."""
    mode = info.external_attr >> 16
    # many zips give permissions without a file type: a plain file too
    if info.create_system != 3 or not stat.S_IFMT(mode) or stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return ""
    return "a symbolic link" if stat.S_ISLNK(mode) else "a special file"


def _zip(path: Path, name: str, workdir: Path, budget: Budget) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ImportFailed(f"{name}: damaged zip archive ({error})") from error
    with archive:
        infos = archive.infolist()
        declared = sum(info.file_size for info in infos)
        if declared > budget.limit:  # said before a byte is written; sizes can lie, so
            raise ImportFailed(  # the copy below counts as well
                f"{name}: its files would expand to {declared:,} bytes, over {MAX_RATIO} times "
                "its compressed size (a compression bomb?); not imported"
            )
        folders = skipped = members = 0
        for index, info in enumerate(infos):
            if info.is_dir():
                folders += 1
                continue
            member_name = f"{name}!{info.filename}"
            special = _zip_special(info)
            if special:
                skipped += 1
                yield Member(
                    member_name,
                    None,
                    f"{member_name}: {special}, not a file; skipped",
                    skipped=True,
                )
                continue
            members += 1
            if budget.left < 0:
                return  # an archive inside this one used it up, and said so
            if info.flag_bits & 0x1:
                yield Member(member_name, None, f"{member_name}: encrypted; extract it first")
                continue
            target = workdir / f"member-{index}"
            try:
                with archive.open(info) as source:
                    member = _extract(source, target, budget, member_name)
            except (OSError, zipfile.BadZipFile, NotImplementedError) as error:
                member = Member(member_name, None, f"{member_name}: cannot be extracted ({error})")
            if budget.left < 0:
                yield Member(member_name, None, budget.over())
                return
            yield from _lend(member, budget)
            target.unlink(missing_ok=True)
        if not members:
            yield _nothing(name, folders, skipped)


_TAR_KINDS = (
    (tarfile.TarInfo.issym, "a symbolic link"),
    (tarfile.TarInfo.islnk, "a hard link"),
    (tarfile.TarInfo.ischr, "a character device"),
    (tarfile.TarInfo.isblk, "a block device"),
    (tarfile.TarInfo.isfifo, "a FIFO"),
)


def _tar_special(info: tarfile.TarInfo) -> str:
    for test, what in _TAR_KINDS:
        if test(info):
            target = f" to {info.linkname}" if info.issym() or info.islnk() else ""
            return f"{what}{target}, not a file; skipped"
    return "not a regular file; skipped"


def _tar(path: Path, name: str, workdir: Path, budget: Budget) -> Iterator[Member]:
    try:
        archive = tarfile.open(path)  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as error:
        raise ImportFailed(f"{name}: damaged tar archive ({error})") from error
    with archive:
        index = folders = skipped = members = 0
        try:
            for info in archive:
                index += 1
                member_name = f"{name}!{info.name}"
                if info.isdir():
                    folders += 1
                    continue
                if not info.isfile():
                    skipped += 1
                    yield Member(
                        member_name, None, f"{member_name}: {_tar_special(info)}", skipped=True
                    )
                    continue
                members += 1
                if budget.left < 0:
                    return  # an archive inside this one used it up, and said so
                source = archive.extractfile(info)
                if source is None:
                    continue
                target = workdir / f"member-{index}"
                with source:
                    member = _extract(source, target, budget, member_name)
                if budget.left < 0:
                    yield Member(member_name, None, budget.over())
                    return
                yield from _lend(member, budget)
                target.unlink(missing_ok=True)
        except (OSError, tarfile.TarError) as error:
            yield Member(
                f"{name}!(after member {index})",
                None,
                f"{name}: the archive is damaged after member {index} ({error})",
            )
            return
        if not members:
            yield _nothing(name, folders, skipped)
