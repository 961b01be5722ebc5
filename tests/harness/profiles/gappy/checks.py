"""A profile whose second requirement has no check (coverage must say so)."""

from __future__ import annotations

from conformance.registry import Checks

checks = Checks("gappy")


@checks.check("GAP-01")
def always_fine(subject, ctx):
    return []
