"""Watchkeeper: logging and protective monitoring for small organisations."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("watchkeeper")
except PackageNotFoundError:  # running from a checkout or a frozen bundle
    __version__ = "0.1.0"
