"""Phrases of the profile's message catalogue, for code that has no ``CheckContext`` (see edxml/phrases.py)."""

from __future__ import annotations

from pathlib import Path

from conformance.i18n import Phrase, load_catalogue

__all__ = ["CATALOGUE", "phrase"]

CATALOGUE = Path(__file__).with_name("messages.yaml")


def phrase(key: str, /, **params: object) -> Phrase:
    """Message ``key`` of the catalogue as a phrase (its English text), filled from ``params``."""
    return Phrase.of(load_catalogue(CATALOGUE), key, **params)
