"""Liên thông conformance suite: the harness. It knows no particular standard."""

from __future__ import annotations

__version__ = "0.1.0"
