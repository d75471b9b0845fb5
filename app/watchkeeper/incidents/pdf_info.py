"""The document information of a finished PDF, rewritten with a subject.

Qt's PDF writer sets the title, author and creator but has no subject; readers show the
subject from the document information, so it is added as an incremental update (the original
bytes stay as they are, a new information object and its cross-reference are appended).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path


def _text(value: str) -> str:
    """A PDF text string in UTF-16 (big-endian, with its byte-order mark), as hex."""
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"


def _last(pattern: bytes, data: bytes) -> bytes:
    found = re.findall(pattern, data)
    if not found:
        raise ValueError(f"not a PDF this writer made: no {pattern.decode()}")
    return bytes(found[-1])


def set_information(path: Path, title: str, author: str, subject: str) -> None:
    """Append to `path` a document information dictionary with title, author and subject."""
    data = path.read_bytes()
    tail = data[-4096:]
    info = int(_last(rb"/Info (\d+) 0 R", tail))
    root = int(_last(rb"/Root (\d+) 0 R", tail))
    size = int(_last(rb"/Size (\d+)", tail))
    previous = int(_last(rb"startxref\s+(\d+)", tail))
    created = re.search(rb"/CreationDate \((D:[0-9Z+'-]+)\)", data[:4096])
    moment = created.group(1).decode() if created else f"D:{datetime.now(UTC):%Y%m%d%H%M%S}Z"
    fields = (
        f"/Title {_text(title)} /Author {_text(author)} /Subject {_text(subject)}"
        f" /Creator (Watchkeeper) /Producer (Watchkeeper) /CreationDate ({moment})"
    )
    body = data if data.endswith(b"\n") else data + b"\n"
    update = f"{info} 0 obj\n<< {fields} >>\nendobj\n".encode()
    where = len(body)
    xref = len(body) + len(update)
    update += (
        f"xref\n{info} 1\n{where:010d} 00000 n \n"
        f"trailer\n<< /Size {size} /Root {root} 0 R /Info {info} 0 R /Prev {previous} >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    path.write_bytes(body + update)
