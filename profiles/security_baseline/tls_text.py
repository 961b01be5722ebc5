"""The messages of the TLS checks (``tls_messages.yaml``, English and Vietnamese), said in a run's language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance.errors import ProfileError
from conformance.i18n import load_catalogue

__all__ = ["MESSAGES_FILE", "Say", "speaker"]

MESSAGES_FILE = Path(__file__).parent / "tls_messages.yaml"

Say = Callable[..., str]
"""``say(key, **params)``: message ``key`` of the TLS catalogue, filled from ``params``."""


def speaker(lang: str) -> Say:
    """A ``say`` function for ``lang`` (English where a message has no text in it)."""
    catalogue = load_catalogue(MESSAGES_FILE)

    def say(key: str, /, **params: object) -> str:
        entry = catalogue.get(key)
        if entry is None:
            raise ProfileError(f"the TLS checks have no message '{key}' in {MESSAGES_FILE.name}")
        template = entry.get(lang) or entry["en"]
        try:
            return template.format(**params) if params else template
        except (KeyError, IndexError, ValueError) as exc:
            raise ProfileError(f"TLS message '{key}' cannot be filled from {sorted(params)}: {exc}") from None

    return say
