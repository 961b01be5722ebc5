"""Profile loading and check registration: schema, containment, duplicates, entry points."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conformance.errors import ProfileError
from conformance.profiles import PATH_ENV, discover, load_profile
from conformance.registry import Checks

PROFILES = Path(__file__).parent / "profiles"


def copy_toy(tmp_path: Path) -> Path:
    folder = tmp_path / "toy2"
    shutil.copytree(PROFILES / "toy", folder)
    return folder


def test_registering_an_id_twice_names_both_places() -> None:
    checks = Checks("x")

    @checks.check("X-01")
    def first(s, c):  # type: ignore[no-untyped-def]
        return []

    with pytest.raises(ProfileError) as err:
        @checks.check("X-01")
        def second(s, c):  # type: ignore[no-untyped-def]
            return []

    assert "X-01 is registered twice" in err.value.message
    assert "first" in err.value.message and "second" in err.value.message
    assert err.value.message.count("test_profiles.py:") == 2


def test_a_loader_id_cannot_also_be_a_check() -> None:
    checks = Checks("x")
    checks.loader("X-01")(lambda raw, ctx: raw)
    with pytest.raises(ProfileError, match="registered twice"):
        checks.check("X-01")(lambda s, c: [])


def test_profile_yaml_is_validated_against_the_schema(tmp_path: Path) -> None:
    folder = copy_toy(tmp_path)
    (folder / "profile.yaml").write_text("id: Toy Two\nversion: one\ntitle: {en: t}\nchecks: checks.py\n"
                                         "requirements: []\n")
    with pytest.raises(ProfileError) as err:
        load_profile(folder)
    assert "is not a valid profile" in err.value.message and "id" in err.value.message


def test_an_artefact_may_not_leave_the_profile_folder(tmp_path: Path) -> None:
    folder = copy_toy(tmp_path)
    text = (folder / "profile.yaml").read_text().replace("checks: checks.py", "checks: checks.py\nartefacts: "
                                                          "{secret: ../../../etc/passwd}")
    (folder / "profile.yaml").write_text(text)
    with pytest.raises(ProfileError, match="leaves the profile folder"):
        load_profile(folder)


def test_checks_for_ids_the_catalogue_does_not_list_are_refused(tmp_path: Path) -> None:
    folder = copy_toy(tmp_path)
    text = (folder / "profile.yaml").read_text().replace("id: toy\n", "id: toy-two\n")
    (folder / "profile.yaml").write_text(text.replace("  - {id: TOY-05", "  - {id: TOY-55"))
    (folder / "checks.py").write_text((PROFILES / "toy" / "checks.py").read_text().replace('"toy"', '"toy-two"'))
    with pytest.raises(ProfileError, match="does not list: TOY-05"):
        load_profile(folder).load_checks()


def test_the_same_profile_id_from_two_places_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_toy(tmp_path)
    monkeypatch.setenv(PATH_ENV, f"{PROFILES}:{tmp_path}")
    with pytest.raises(ProfileError) as err:
        discover()
    assert "installed twice" in err.value.message and "toy2" in err.value.message


def test_builtin_profiles_come_from_the_entry_point() -> None:
    profiles = discover()
    assert profiles["edxml"].module_name == "conformance_profiles.edxml"
    assert profiles["toy"].module_name is None  # a bare folder from CONFORMANCE_PROFILE_PATH
