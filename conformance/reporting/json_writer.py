"""``report.json``: the canonical report, and its JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from . import register_writer

__all__ = ["load_report", "report_schema", "validate_report", "write_json"]


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema of ``conformance-report/1``, as shipped in the package."""
    text = resources.files("conformance").joinpath("schemas/report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(report: Mapping[str, Any]) -> list[str]:
    """Schema violations of ``report``, as ``path: message`` lines; empty when it is valid."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.FormatChecker())
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
        for err in sorted(validator.iter_errors(report), key=lambda e: list(map(str, e.absolute_path)))
    ]


def load_report(path: Path) -> dict[str, Any]:
    """Read a stored ``report.json``."""
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@register_writer("json")
def write_json(report: Mapping[str, Any], out_dir: Path) -> Path:
    """Write ``report.json`` (UTF-8, not ASCII-escaped, so Vietnamese stays readable)."""
    path = out_dir / "report.json"
    tmp = path.with_suffix(".json.tmp")
    # Lone surrogates (an undecodable file name, say) become backslash-u escapes: still valid JSON.
    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    tmp.write_bytes(text.encode("utf-8", "backslashreplace"))
    tmp.replace(path)
    return path
