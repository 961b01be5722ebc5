"""Kept for imports written before the labels moved: everything lives in :mod:`conformance.i18n` now."""

from __future__ import annotations

from ..i18n import (
    LABELS,
    LANGS,
    LEVELS,
    OUTCOMES,
    TEXT_LIMIT,
    VERDICTS,
    cut,
    evidence_text,
    json_text,
    pick_lang,
    safe_text,
    t,
)

__all__ = [
    "LABELS",
    "LANGS",
    "LEVELS",
    "OUTCOMES",
    "TEXT_LIMIT",
    "VERDICTS",
    "cut",
    "evidence_text",
    "json_text",
    "pick_lang",
    "safe_text",
    "t",
]
