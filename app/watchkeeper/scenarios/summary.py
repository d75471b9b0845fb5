"""What a generated scenario contains: its files, counts, time range and attack stories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Story:
    """One attack placed in the background, with what a detection should find."""

    key: str
    title: str
    techniques: tuple[str, ...]  # MITRE ATT&CK ids
    start: datetime  # UTC
    end: datetime
    hosts: tuple[str, ...]
    users: tuple[str, ...]
    source_ips: tuple[str, ...]
    files: tuple[str, ...]  # paths relative to the output folder
    events: int
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioSummary:
    """The result of `generate()`."""

    out_dir: Path
    files: tuple[Path, ...]
    events_per_file: dict[str, int]  # relative path -> lines (one event per line)
    total_events: int
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    zone: str  # the office's clocks: NXLog EventTime and syslog stamps are local time in it
    seed: int
    stories: tuple[Story, ...]

    def story(self, key: str) -> Story:
        for story in self.stories:
            if story.key == key:
                return story
        raise KeyError(key)

    def as_dict(self) -> dict[str, object]:
        """Plain values, for `--json` output."""
        return {
            "out_dir": str(self.out_dir),
            "files": [str(path) for path in self.files],
            "events_per_file": dict(self.events_per_file),
            "total_events": self.total_events,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "zone": self.zone,
            "seed": self.seed,
            "stories": [
                {
                    "key": s.key,
                    "title": s.title,
                    "techniques": list(s.techniques),
                    "start": s.start.isoformat(),
                    "end": s.end.isoformat(),
                    "hosts": list(s.hosts),
                    "users": list(s.users),
                    "source_ips": list(s.source_ips),
                    "files": list(s.files),
                    "events": s.events,
                    "details": dict(s.details),
                }
                for s in self.stories
            ],
        }
