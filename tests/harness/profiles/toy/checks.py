"""A toy profile for harness tests: text files judged line by line."""

from __future__ import annotations

from conformance.registry import Checks, Finding, Stop, not_applicable

checks = Checks("toy")


@checks.loader("TOY-01")
def load(raw, ctx):
    try:
        return raw.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Stop("TOY-01", [Finding(f"not UTF-8: {exc.reason}")]) from None


@checks.check("TOY-02")
def short_lines(text, ctx):
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > 10:
            yield Finding(f"line {number} has {len(line)} characters", line=number, value=line)


@checks.check("TOY-03")
def final_newline(text, ctx):
    return [] if text.endswith("\n") else [Finding("no final newline")]


@checks.check("TOY-04")
def signature(text, ctx):
    sig = [line for line in text.splitlines() if line.startswith("SIG")]
    if not sig:
        if "toy.sig" in ctx.claims:
            return [Finding("no SIG line, but toy.sig is claimed")]
        return not_applicable("no SIG line")
    return [] if sig[0] == "SIG OK" else [Finding(f"bad signature line {sig[0]!r}")]


@checks.check("TOY-05")
def explode(text, ctx):
    if "boom" in text:
        raise ValueError("the checker broke")
    if "die" in text:  # stands for a crash in a native library: the process itself goes away
        import os

        os._exit(70)
    return []
