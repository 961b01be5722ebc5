"""The dossier-sync message catalogue: complete in both languages, all used, and said in the run's language."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from conformance.i18n import load_catalogue
from conformance.profiles import resolve_profile
from conformance_profiles.dossier_sync import phrases
from conformance_profiles.dossier_sync.peer import ERRORS

from .conftest import FOLDERS, run_validate

PROFILE = resolve_profile("dossier-sync")
CATALOGUE = PROFILE.messages()
SOURCES = [Path(phrases.__file__).with_name(name) for name in ("checks.py", "peer.py", "values.py", "message.py")]
# Keys the code builds from a variable part.
BUILT = {f"dossier_code.form_{form}" for form in ("legacy", "newer", "both")} | \
    {f"portal.{kind}" for kind in ERRORS if kind != "internal"}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_profile_declares_the_catalogue_the_phrases_use() -> None:
    assert PROFILE.artefacts["messages"] == phrases.CATALOGUE.resolve()
    assert CATALOGUE == load_catalogue(phrases.CATALOGUE)


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_is_in_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOGUE[key]
    assert set(entry) == {"en", "vi"}
    assert entry["en"].strip() and entry["vi"].strip()
    assert fields(entry["en"]) == fields(entry["vi"]), key
    assert all(name.isidentifier() for name in fields(entry["en"])), key
    assert unicodedata.normalize("NFC", entry["vi"]) == entry["vi"], key


def test_every_key_the_code_says_exists_and_every_message_is_used() -> None:
    code = "\n".join(path.read_text("utf-8") for path in SOURCES)
    said = set(re.findall(r'(?:say|phrase|_reason)\(\s*["\']([^"\'{}]+)["\']', code))
    said |= set(re.findall(r'ctx, "(na\.[a-z_]+)"\)', code))  # _judged(findings, seen, ctx, "na.…")
    said |= {f"portal.{kind}" for kind in re.findall(r'self\.error\("([a-z_]+)"', code)}  # the portal's refusals
    assert said - set(CATALOGUE) == set()
    assert set(CATALOGUE) - said - BUILT == set()


def test_the_catalogue_readings_are_in_both_languages() -> None:
    for requirement in PROFILE.requirements.values():
        assert set(requirement.title) == set(requirement.text) == set(requirement.notes) == {"en", "vi"}, requirement.id
    for note in PROFILE.raw["notes"]:
        assert note["en"].strip() and note["vi"].strip()


def test_a_run_in_vietnamese_says_findings_and_reasons_in_vietnamese(corpus: Path, tmp_path: Path) -> None:
    report: dict[str, Any] = run_validate([corpus / folder for folder in FOLDERS], tmp_path, lang="vi")

    def message(subject: str, requirement: str) -> str:
        [result] = [r for r in report["results"] if r["subject"] == subject and r["requirement"] == requirement]
        return str(result["message"])

    assert message("invalid/DVC-04-unreal.json", "DVC-04") == \
        "DVC-04: NgayHenTra '20261231256000' không phải là thời điểm có thật (/data/0/NgayHenTra)"
    assert message("invalid/DVC-01-nan.json", "DVC-01").startswith(
        "DVC-01: NaN không phải là số JSON (RFC 8259 không có NaN hay Infinity) (dòng 1). Dừng đánh giá tại đây")
    assert message("invalid/DVC-03-status-11.json", "DVC-03").endswith(
        "9 (đã xử lý xong), 10 (đã trả kết quả) (/data/0/TrangThaiHoSo)")
    not_applicable = next(r for r in report["results"] if r["outcome"] == "not-applicable"
                          and r["requirement"] == "DVC-06")
    assert not_applicable["message"] == "DVC-06: chỉ áp dụng cho thông điệp đồng bộ hồ sơ, không áp dụng cho " \
                                        "thông điệp CapNhatTienDoHoSoMC"
    assert any("vi phạm vòng đời" in r["message"] for r in report["results"] if r["requirement"] == "DVC-07")
