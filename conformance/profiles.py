"""Loading profiles: folders with ``profile.yaml``, found through entry points or given as paths."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from .errors import ConfigError, ProfileError, did_you_mean
from .i18n import load_catalogue
from .live import LiveChecks
from .model import Level, Requirement
from .registry import Checks
from .yaml_loader import SAFE_LOADER

__all__ = [
    "ENTRY_POINT_GROUP",
    "PATH_ENV",
    "Profile",
    "discover",
    "load_profile",
    "resolve_profile",
]

ENTRY_POINT_GROUP = "conformance.profiles"
PATH_ENV = "CONFORMANCE_PROFILE_PATH"


@dataclass(frozen=True, eq=False)
class Profile:
    """A versioned, executable selection of requirements, with its artefacts and checks."""

    id: str
    version: str
    title: Mapping[str, str]
    root: Path
    requirements: Mapping[str, Requirement]
    artefacts: Mapping[str, Path]
    limits: Mapping[str, int]
    features: tuple[str, ...]
    checks_file: str
    module_name: str | None
    demo_corpus: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def title_in(self, lang: str) -> str:
        """The profile's title in ``lang``, falling back to English."""
        return self.title.get(lang) or self.title["en"]

    def load_checks(self) -> Checks:
        """Import ``checks.py`` and return its registry, checked against the catalogue."""
        return _load_checks(self)

    def load_live(self) -> LiveChecks | None:
        """The profile's live scenarios (``live = LiveChecks(...)`` in ``checks.py``), or None for offline ones."""
        _load_checks(self)
        live = getattr(_import_checks(self), "live", None)
        return live if isinstance(live, LiveChecks) else None

    def verified(self) -> frozenset[str]:
        """Every requirement id that an offline check, the loader or a live scenario verifies."""
        live = self.load_live()
        return self.load_checks().verified() | (live.verified() if live else frozenset())

    def at_security_level(self, level: int) -> Profile:
        """The profile as it applies to a system of security ``level``: ``mandatory_from`` resolved."""
        if not any(r.mandatory_from for r in self.requirements.values()):
            return self
        resolved = {rid: r if r.mandatory_from is None else dataclasses.replace(
            r, level=Level.MANDATORY if level >= r.mandatory_from else Level.RECOMMENDED)
            for rid, r in self.requirements.items()}
        return dataclasses.replace(self, requirements=resolved)

    def messages(self) -> dict[str, dict[str, str]]:
        """The message catalogue of artefact ``messages`` (read once per process); empty without one."""
        path = self.artefacts.get("messages")
        return load_catalogue(path) if path is not None else {}


@cache
def _profile_schema() -> dict[str, Any]:
    text = resources.files("conformance").joinpath("schemas/profile.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _inside(root: Path, relative: str, what: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ProfileError(f"{what} '{relative}' of profile at {root} leaves the profile folder")
    if not path.exists():
        raise ProfileError(f"{what} '{relative}' of profile at {root} does not exist")
    return path


def load_profile(root: Path, module_name: str | None = None) -> Profile:
    """Load and validate the profile in folder ``root``."""
    import jsonschema

    manifest = root / "profile.yaml"
    try:
        data = yaml.load(manifest.read_text("utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"cannot read {manifest}: {exc}") from exc
    errors = sorted(jsonschema.Draft202012Validator(_profile_schema()).iter_errors(data), key=lambda e: e.path)
    if errors:
        lines = [f"  {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10]]
        raise ProfileError(f"{manifest} is not a valid profile:\n" + "\n".join(lines))
    features = tuple(f["id"] for f in data.get("features", []))
    requirements: dict[str, Requirement] = {}
    for item in data["requirements"]:
        if item["id"] in requirements:
            raise ProfileError(f"{manifest}: requirement {item['id']} is listed twice")
        if item.get("feature") is not None and item["feature"] not in features:
            raise ProfileError(f"{manifest}: {item['id']} names feature '{item['feature']}', "
                               f"which the profile does not declare under 'features'")
        requirements[item["id"]] = Requirement(
            id=item["id"],
            level=Level(item["level"]),
            title=item["title"],
            clause=item["clause"],
            feature=item.get("feature"),
            text=item.get("text", {}),
            notes=item.get("notes", {}),
            applies_to=tuple(item.get("applies_to", ())),
            mandatory_from=item.get("mandatory_from"),
        )
    artefacts = {name: _inside(root, rel, "artefact") for name, rel in data.get("artefacts", {}).items()}
    _inside(root, data["checks"], "checks module")
    return Profile(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        root=root.resolve(),
        requirements=requirements,
        artefacts=artefacts,
        limits=data.get("limits", {}),
        features=features,
        checks_file=data["checks"],
        module_name=module_name,
        demo_corpus=data.get("demo", {}).get("corpus"),
        raw=data,
    )


def _import_checks(profile: Profile) -> ModuleType:
    stem = profile.checks_file.removesuffix(".py")
    if profile.module_name:
        return importlib.import_module(f"{profile.module_name}.{stem}")
    # A bare folder: import by path under a name unique to the profile, once per process.
    name = f"conformance_profile_{profile.id.replace('-', '_')}_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, profile.root / profile.checks_file)
    if spec is None or spec.loader is None:
        raise ProfileError(f"cannot import {profile.root / profile.checks_file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@cache
def _load_checks(profile: Profile) -> Checks:
    module = _import_checks(profile)
    registry = getattr(module, "checks", None)
    live = getattr(module, "live", None)
    if registry is None and isinstance(live, LiveChecks):
        registry = Checks(profile.id)  # a live-only profile: no offline checks
    if not isinstance(registry, Checks):
        raise ProfileError(f"{module.__file__} must define 'checks = Checks(\"{profile.id}\")' (offline checks) "
                           f"or 'live = LiveChecks(\"{profile.id}\")' (live scenarios)")
    for found in (registry, live):
        if isinstance(found, Checks | LiveChecks) and found.profile_id != profile.id:
            raise ProfileError(f"{module.__file__} registers checks for '{found.profile_id}', not '{profile.id}'")
    declared = registry.verified() | (live.verified() if isinstance(live, LiveChecks) else frozenset())
    unknown = sorted(declared - set(profile.requirements))
    if unknown:
        raise ProfileError(f"{module.__file__} registers checks for ids that profile '{profile.id}' "
                           f"does not list: {', '.join(unknown)}")
    return registry


def _profiles_under(folder: Path, module_name: str | None) -> list[tuple[Path, str | None]]:
    if (folder / "profile.yaml").is_file():
        return [(folder, module_name)]
    found = []
    for child in sorted(folder.iterdir()):
        if (child / "profile.yaml").is_file():
            found.append((child, f"{module_name}.{child.name}" if module_name else None))
    return found


def _sources() -> list[tuple[Path, str | None, str]]:
    sources: list[tuple[Path, str | None, str]] = []
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = importlib.import_module(entry.value)
        except ImportError as exc:
            raise ProfileError(f"entry point '{entry.name} = {entry.value}' cannot be imported: {exc}") from exc
        folder = Path(module.__file__ or "").parent
        sources += [(p, m, f"entry point {entry.name}") for p, m in _profiles_under(folder, module.__name__)]
    for item in filter(None, os.environ.get(PATH_ENV, "").split(os.pathsep)):
        sources += [(p, None, f"{PATH_ENV}") for p, _ in _profiles_under(Path(item), None)]
    return sources


def discover() -> dict[str, Profile]:
    """Every installed profile, by id; the same id from two places is an error naming both."""
    found: dict[str, tuple[Profile, str]] = {}
    for root, module_name, origin in _sources():
        profile = load_profile(root, module_name)
        if profile.id in found:
            other = found[profile.id]
            raise ProfileError(f"profile '{profile.id}' is installed twice: at {other[0].root} ({other[1]}) "
                               f"and at {root} ({origin})")
        found[profile.id] = (profile, origin)
    return {pid: p for pid, (p, _) in sorted(found.items())}


def resolve_profile(name: str) -> Profile:
    """An installed profile by id, or a profile folder given by path."""
    path = Path(name)
    if (path / "profile.yaml").is_file():
        return load_profile(path)
    installed = discover()
    if name in installed:
        return installed[name]
    hint = did_you_mean(name, installed) or f"installed profiles: {', '.join(installed) or 'none'}"
    raise ConfigError(f"unknown profile '{name}'", hint=hint)
