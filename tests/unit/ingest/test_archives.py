"""Archives: every member is imported or said why not, and the bomb limit holds for the
archive as a whole."""

from __future__ import annotations

import gzip
import io
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from watchkeeper.cli import run
from watchkeeper.core.errors import ImportFailed
from watchkeeper.ingest import archives
from watchkeeper.ingest.archives import Member, allowance, expand
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store

LOG = "".join(f"Nov  3 08:00:{i:02d} web01 app[1]: line {i}\n" for i in range(20)).encode()


def _expand(path: Path, tmp_path: Path, limit: int | None = None) -> Iterator[Member]:
    return expand(
        path, path.name, archives.kind(path.read_bytes()[:512]) or "", tmp_path / "work", limit
    )


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> Path:
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as archive:
        for info in members:
            content = (data or {}).get(info.name)
            if content is not None:
                info.size = len(content)
            archive.addfile(info, io.BytesIO(content) if content is not None else None)
    return path


def _info(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def _nothing_said(problems: list[str], expected: str) -> None:
    assert problems[-1].endswith(f"nothing to import: {expected}"), problems


def test_an_empty_zip_says_it_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.zip"
    zipfile.ZipFile(path, "w").close()
    (member,) = _expand(path, tmp_path)
    assert member.path is None and member.problem == "empty.zip: nothing to import: it is empty"


def test_a_zip_of_only_folders_says_so(tmp_path: Path) -> None:
    path = tmp_path / "folders.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("var/", b"")
        archive.writestr("var/log/", b"")
    (member,) = _expand(path, tmp_path)
    _nothing_said([member.problem], "it holds only 2 folder(s), no files")


def test_links_devices_and_fifos_in_a_tar_are_skipped_and_said(tmp_path: Path) -> None:
    path = _tar(
        tmp_path / "special.tar",
        [
            _info("etc/", tarfile.DIRTYPE),
            _info("passwd", tarfile.SYMTYPE, "/etc/passwd"),
            _info("again", tarfile.LNKTYPE, "passwd"),
            _info("tty", tarfile.CHRTYPE),
            _info("disk", tarfile.BLKTYPE),
            _info("pipe", tarfile.FIFOTYPE),
        ],
    )
    members = list(_expand(path, tmp_path))
    assert [m.problem for m in members if m.skipped] == [
        "special.tar!passwd: a symbolic link to /etc/passwd, not a file; skipped",
        "special.tar!again: a hard link to passwd, not a file; skipped",
        "special.tar!tty: a character device, not a file; skipped",
        "special.tar!disk: a block device, not a file; skipped",
        "special.tar!pipe: a FIFO, not a file; skipped",
    ]
    assert all(m.path is None for m in members)
    _nothing_said(
        [m.problem for m in members],
        "it holds no files, only 5 link(s) or special file(s), skipped",
    )


def test_a_link_beside_a_log_is_said_and_the_log_imported(store: Store, tmp_path: Path) -> None:
    path = _tar(
        tmp_path / "logs.tar",
        [_info("auth.log"), _info("shadow", tarfile.SYMTYPE, "/etc/shadow")],
        {"auth.log": LOG},
    )
    summary = import_paths(store, [path])
    assert (summary.count("imported"), summary.count("skipped"), summary.count("failed")) == (
        1,
        1,
        0,
    )
    assert store.event_count() == 20
    (skipped,) = [f for f in summary.files if f.status == "skipped"]
    assert skipped.message.endswith(
        "logs.tar!shadow: a symbolic link to /etc/shadow, not a file; skipped"
    )


def test_a_symbolic_link_in_a_zip_is_skipped_not_imported_as_text(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("auth.log", LOG)
        link = zipfile.ZipInfo("secrets")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, b"/etc/shadow")
    members = list(_expand(path, tmp_path))
    assert [(m.name, m.skipped) for m in members] == [
        ("link.zip!auth.log", False),
        ("link.zip!secrets", True),
    ]
    assert members[1].problem == "link.zip!secrets: a symbolic link, not a file; skipped"


def test_an_archive_with_nothing_to_import_fails_the_command(tmp_path: Path) -> None:
    path = _tar(tmp_path / "links.tar", [_info("a", tarfile.SYMTYPE, "b")])
    out, err = io.StringIO(), io.StringIO()
    code = run(["import", str(path), "--db", str(tmp_path / "w.duckdb")], out, err)
    assert code == 1
    assert "0 file(s) imported, 1 skipped, 1 failed" in out.getvalue()
    assert "links.tar!a: a symbolic link to b, not a file; skipped" in out.getvalue()
    assert "links.tar: nothing to import: it holds no files, only 1 link(s)" in out.getvalue()


def _sizes(members: Iterator[Member]) -> tuple[list[Member], int]:
    """The members, and the most bytes on disk at once (each copy goes before the next)."""
    taken: list[Member] = []
    largest = 0
    for member in members:
        taken.append(member)
        if member.path is not None:
            largest = max(largest, member.path.stat().st_size)
    return taken, largest


def test_the_limit_holds_for_the_archive_as_a_whole(tmp_path: Path) -> None:
    piece = 100_000
    names = [f"zeros-{n}.log" for n in range(10)]
    path = _tar(tmp_path / "many.tar", [_info(n) for n in names], {n: bytes(piece) for n in names})
    members, largest = _sizes(_expand(path, tmp_path, limit=3 * piece + piece // 2))
    # every member is under the limit; three fit together, the fourth does not, and no more
    # is read
    assert [m.path is not None for m in members] == [True, True, True, False]
    assert "compression bomb" in members[-1].problem and members[-1].name.endswith("zeros-3.log")
    assert largest == piece
    assert not (tmp_path / "work").exists()


def test_a_zip_whose_members_add_up_past_the_limit_is_refused_before_writing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(10):
            archive.writestr(f"zeros-{n}.log", bytes(100_000))
    with pytest.raises(ImportFailed, match="would expand to 1,000,000 bytes"):
        list(_expand(path, tmp_path, limit=350_000))


def _deflated_zeros(size: int) -> tuple[bytes, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1 << 20)
    parts, crc = [], 0
    for _ in range(size // len(block)):
        parts.append(compressor.compress(block))
        crc = zlib.crc32(block, crc)
    parts.append(compressor.flush())
    return b"".join(parts), crc


def _zip_of_copies(path: Path, count: int, data: bytes, crc: int, size: int) -> None:
    """A zip of `count` members with the same deflated content, written directly: making
    it with zipfile would compress gigabytes of zeros."""
    local, central = bytearray(), bytearray()
    for n in range(count):
        name = f"zeros-{n:02d}.log".encode()
        offset = len(local)
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0, crc, len(data), size)
        local += b"PK\x03\x04" + fields + struct.pack("<HH", len(name), 0) + name + data
        central += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, offset)
            + name
        )
    end = struct.pack("<HHHHIIH", 0, 0, count, count, len(central), len(local), 0)
    path.write_bytes(bytes(local) + bytes(central) + b"PK\x05\x06" + end)


def test_forty_times_sixty_megabytes_of_zeros_is_refused_unwritten(
    store: Store, tmp_path: Path
) -> None:
    size = 60 << 20
    data, crc = _deflated_zeros(size)
    path = tmp_path / "zeros.zip"
    _zip_of_copies(path, 40, data, crc, size)
    assert path.stat().st_size < 3 << 20  # 2.4 MB on disk, 2.4 GB inside
    assert size < allowance(path.stat().st_size) < 40 * size  # each member alone would pass
    summary = import_paths(store, [path])
    (result,) = summary.files
    assert result.status == "failed"
    assert result.message.endswith(
        f"zeros.zip: its files would expand to {40 * size:,} bytes, over "
        "250 times its compressed size (a compression bomb?); not imported"
    )
    assert store.event_count() == 0
    assert not list(store.path.parent.glob(".archive-*"))


def test_archives_inside_an_archive_spend_from_its_budget(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small limits made for the test: each inner .gz alone is under its own allowance
    monkeypatch.setattr(archives, "MAX_RATIO", 10)
    monkeypatch.setattr(archives, "MIN_ALLOWANCE", 250_000)
    inner = gzip.compress(bytes(100_000), compresslevel=9)
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for n in range(10):
            archive.writestr(f"part-{n}.log.gz", inner)
    assert allowance(len(inner)) > 100_000  # before, every part passed: a million bytes
    written: list[int] = []
    real_copy = archives._copy_limited

    def counting(source: IO[bytes], target: Path, budget: archives.Budget) -> None:
        try:
            real_copy(source, target, budget)
        finally:
            written.append(target.stat().st_size if target.exists() else 0)

    monkeypatch.setattr(archives, "_copy_limited", counting)
    summary = import_paths(store, [path])
    assert sum(written) <= 250_000
    refused = [f for f in summary.files if "compression bomb" in f.message]
    assert len(refused) == 1 and refused[0].message.startswith(f"{path}: expands to more than")
