"""Placeholder for the TLS and certificate checks of security-baseline (SB-TLS-01…09, SB-CERT-01…05).

The TLS engineer's work replaces this whole file. Until then every TLS id is listed as untested with
a reason, so a run can never be conformant without them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from conformance.live import LiveContext, Untested, Verdict

__all__ = ["TLS_REQUIREMENTS", "tls_scenario"]

TLS_REQUIREMENTS = ("SB-TLS-01", "SB-TLS-02", "SB-TLS-03", "SB-TLS-04", "SB-TLS-05", "SB-TLS-06", "SB-TLS-07",
                    "SB-TLS-08", "SB-TLS-09", "SB-CERT-01", "SB-CERT-02", "SB-CERT-03", "SB-CERT-04", "SB-CERT-05")


async def tls_scenario(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """Every TLS requirement is untested until the TLS checks land."""
    for requirement in TLS_REQUIREMENTS:
        yield Verdict(requirement, Untested("TLS checks are being written"))
