"""An executable as Sysmon describes it, and where Windows keeps the office's programs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MS = "Microsoft Corporation"
WINDOWS = "Microsoft® Windows® Operating System"
OFFICE16 = "C:\\Program Files\\Microsoft Office\\root\\Office16"
CHROME = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"
EDGE = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
DEFENDER = "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0"
SYS32 = "C:\\Windows\\System32"
POWERSHELL_EXE = f"{SYS32}\\WindowsPowerShell\\v1.0\\powershell.exe"


@dataclass(frozen=True)
class Program:
    """An executable as Sysmon describes it, with the command lines it is started with.

    Command lines may name {home} (the user's profile), {user}, {doc} (a document of the
    user's department) and {winver}; `parent` is the key of the program that starts it.
    """

    key: str
    image: str
    original: str
    description: str
    product: str
    company: str
    version: str
    command_lines: tuple[str, ...]
    parent: str
    system: bool = False  # runs as SYSTEM (or a service account), not as the person
    integrity: str = "Medium"

    def hashes(self, winver: str) -> str:
        """MD5, SHA256 and IMPHASH, stable for an image and version like a real binary's."""
        seed = f"{self.image.lower()}|{self.version.replace('{winver}', winver)}".encode()
        md5 = hashlib.md5(seed).hexdigest().upper()
        sha256 = hashlib.sha256(seed).hexdigest().upper()
        imphash = hashlib.md5(seed + b"imp").hexdigest().upper()
        return f"MD5={md5},SHA256={sha256},IMPHASH={imphash}"


def windows_program(
    key: str,
    name: str,
    original: str,
    description: str,
    command_lines: tuple[str, ...],
    parent: str,
    *,
    system: bool = False,
    integrity: str = "Medium",
) -> Program:
    return Program(
        key,
        f"{SYS32}\\{name}",
        original,
        description,
        WINDOWS,
        MS,
        "{winver}",
        command_lines,
        parent,
        system,
        "System" if system else integrity,
    )
