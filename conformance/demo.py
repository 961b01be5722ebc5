"""``conformance demo``: start the bundled reference systems, run every profile against them, write one report.

Profiles say what they bring in ``profile.yaml``: ``demo.system`` starts a reference system and
yields its target file; ``demo.corpus`` builds reference messages, judged in the same run through the
target's ``messages``; ``demo.order`` sets the running order (lower first). Live profiles without a
system of their own run against the systems the others start.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

import yaml

from .clock import Clock
from .errors import ProfileError
from .profiles import Profile, discover
from .session import demo_inputs

__all__ = ["demo_profiles", "demo_target"]

SystemFactory = Callable[[Path], AbstractContextManager[tuple[Path, dict[str, str]]]]


def _order(profile: Profile) -> int:
    return int(profile.raw.get("demo", {}).get("order", 50))


def demo_profiles() -> list[Profile]:
    """The profiles the demo runs, in order: those with a corpus, a system, or live checks."""
    chosen = [p for p in discover().values()
              if p.demo_corpus or p.raw.get("demo", {}).get("system") or (p.load_live() and not
                                                                          p.raw.get("demo", {}).get("client"))]
    return sorted(chosen, key=lambda p: (_order(p), p.id))


def _load(reference: str, profile: Profile) -> Any:
    module_name, _, name = reference.partition(":")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ProfileError(f"profile '{profile.id}' names demo '{reference}', which cannot be loaded: {exc}") from exc


@contextmanager
def demo_target(profiles: list[Profile], work_dir: Path, clock: Clock) -> Iterator[Path]:
    """Start the profiles' reference systems, build their corpora, and yield one target file for them all."""
    with ExitStack() as stack:
        target: Path | None = None
        for profile in profiles:
            reference = profile.raw.get("demo", {}).get("system")
            if reference and target is None:
                factory: SystemFactory = _load(reference, profile)
                target, variables = stack.enter_context(factory(work_dir / profile.id))
                for name, value in variables.items():
                    stack.callback(_restore, name, os.environ.get(name))
                    os.environ[name] = value
        data: dict[str, Any] = (yaml.safe_load(target.read_text("utf-8")) if target else
                                {"target": {"vendor": "Liên thông", "product": "reference corpus", "version": "1"}})
        messages, anchors, claims = [], [], []
        for profile in profiles:
            inputs = demo_inputs(profile, work_dir / profile.id / "corpus", clock)
            if inputs is None:
                continue
            messages += [str(p.resolve()) for p in inputs.paths]
            anchors += [str(p.resolve()) for p in inputs.trust_anchors]
            claims += inputs.claims
        if target is not None:
            base = target.parent
            if "tls" in data and "ca_file" in data["tls"]:
                data["tls"]["ca_file"] = str((base / data["tls"]["ca_file"]).resolve())
        data["messages"] = messages
        data["trust_anchors"] = anchors
        data["claims"] = sorted(set(claims))
        combined = work_dir / "target.yaml"
        work_dir.mkdir(parents=True, exist_ok=True)
        combined.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        yield combined


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
