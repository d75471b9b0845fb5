"""Generated small-office data for the demo, exercises and benchmarks, written as real log files."""

from __future__ import annotations

from watchkeeper.scenarios.generator import generate
from watchkeeper.scenarios.summary import ScenarioSummary, Story

__all__ = ["ScenarioSummary", "Story", "generate"]
