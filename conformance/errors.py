"""Errors of the tool itself, as opposed to findings about the system under test.

::

    ConformanceError            the tool, a profile or the configuration is broken (never the vendor's fault)
    ├── ConfigError             a bad target file, option or path: exit 2, with the fix
    ├── ProfileError            a profile is malformed: bad profile.yaml, duplicate or unknown check ids
    └── InternalError           a bug in the harness or a check: outcome ``error``

Findings about the vendor's system are :class:`conformance.model.Finding` values, never exceptions
from this tree.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "ConformanceError",
    "InternalError",
    "ProfileError",
    "did_you_mean",
]


class ConformanceError(Exception):
    """Base of every error of the tool, a profile or the configuration."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(ConformanceError):
    """The user's configuration is wrong: a target file, an option, a path."""


class ProfileError(ConformanceError):
    """A profile is malformed or inconsistent with its catalogue."""


class InternalError(ConformanceError):
    """The harness or a check broke while judging a subject."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A ``Did you mean 'x'?`` suggestion for a probable typo, or None."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"Did you mean '{match[0]}'?" if match else None
