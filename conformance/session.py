"""One validation session: options in, report out. The CLI and the demo both call it."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .clock import Clock
from .engine import validate_files
from .errors import ConfigError, ProfileError
from .profiles import Profile
from .registry import CheckContext
from .report import ReportBuilder
from .reporting import write_reports
from .target import Target

__all__ = ["DEFAULT_FILE_PATTERNS", "DemoInputs", "ValidateOptions", "default_out_dir", "demo_inputs", "validate"]

DEFAULT_FILE_PATTERNS = ("*.xml",)


@dataclass(frozen=True)
class ValidateOptions:
    """What ``validate`` was asked to do."""

    profiles: Sequence[Profile]
    paths: Sequence[Path]
    clock: Clock = field(default_factory=Clock.start)
    out_dir: Path | None = None
    formats: Sequence[str] = ("json", "html", "junit", "allure")
    jobs: int = 1
    seed: int | None = None
    lang: str = "en"
    trust: Sequence[Path] = ()
    claims: Sequence[str] = ()
    list_passes: bool = False
    max_bytes: int | None = None
    target: Target | None = None
    command: str = "validate"
    reproduce: str = ""


@dataclass(frozen=True)
class DemoInputs:
    """What a profile's demo corpus hands to ``conformance demo``."""

    paths: list[Path]
    trust_anchors: list[Path] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)


def default_out_dir(label: str) -> Path:
    """``reports/<UTC timestamp>-<label>/``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("reports") / f"{stamp}-{label}"


def _readable(paths: Sequence[Path], what: str) -> tuple[Path, ...]:
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{what} '{path}' is not a readable file", hint=f"check the path of the {what}")
    return tuple(paths)


def _context(profile: Profile, opts: ValidateOptions, claims: frozenset[str],
             anchors: tuple[Path, ...]) -> CheckContext:
    return CheckContext(
        profile_id=profile.id,
        clock=opts.clock,
        claims=claims,
        trust_anchors=anchors,
        artefacts=dict(profile.artefacts),
        limits=dict(profile.limits),
        lang=opts.lang,
        seed=opts.seed,
        messages=profile.messages(),
    )


def validate(opts: ValidateOptions, progress: Callable[[int], None] | None = None) -> tuple[dict[str, Any], list[Path]]:
    """Validate the files of ``opts`` against its profiles; write and return the report."""
    target = opts.target
    claims = frozenset(opts.claims) | (target.claims if target else frozenset())
    anchors = _readable([*opts.trust, *(target.trust_anchors if target else ())], "trust anchor")
    for feature in sorted(claims):
        known = {f for p in opts.profiles for f in p.features}
        if feature not in known:
            raise ConfigError(f"unknown claimed feature '{feature}'",
                              hint=f"features of the chosen profiles: {', '.join(sorted(known)) or 'none'}")
    builder = ReportBuilder(list(opts.profiles), list_passes=opts.list_passes)
    for profile in opts.profiles:
        max_bytes = opts.max_bytes or (target.limits.get("max_message_bytes") if target else None) \
            or profile.limits.get("max_subject_bytes", 100 * 1024 * 1024)
        patterns = tuple(profile.raw.get("file_patterns", DEFAULT_FILE_PATTERNS))
        validate_files(profile, list(opts.paths), _context(profile, opts, claims, anchors), builder,
                       jobs=opts.jobs, max_bytes=int(max_bytes), patterns=patterns, progress=progress)
    report = builder.build(
        command=opts.command, clock=opts.clock, lang=opts.lang, claims=claims,
        target=target.redacted()["target"] if target else None, reproduce=opts.reproduce, seed=opts.seed,
    )
    out_dir = opts.out_dir or default_out_dir("-".join(p.id for p in opts.profiles))
    # report.json is canonical: it is always written, whatever else was asked for.
    return report, write_reports(report, out_dir, ["json", *opts.formats])


def demo_inputs(profile: Profile, work_dir: Path, clock: Clock) -> DemoInputs | None:
    """Build the demo corpus a profile declares (``demo.corpus`` in profile.yaml), or None."""
    if not profile.demo_corpus:
        return None
    module_name, _, func_name = profile.demo_corpus.partition(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise ProfileError(f"profile '{profile.id}' names demo corpus '{profile.demo_corpus}', "
                           f"which cannot be loaded: {exc}") from exc
    got = func(work_dir, now=clock.now())
    return DemoInputs(list(got.paths), list(got.trust_anchors), list(got.claims))
