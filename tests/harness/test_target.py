"""The target file: validation with helpful messages, secrets from the environment, redaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conformance.errors import ConfigError
from conformance.target import SecretMasker, load_target
from tests.conftest import load_valid_report

SECRET = "s3cr3t-Token/+=value"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "target.yaml"
    path.write_text(text)
    return path


GOOD = """
target: {vendor: ACME, product: QLVB, version: "5.2"}
endpoints: {base_url: "https://127.0.0.1:8443"}
auth: {type: bearer, token: "${env:TEST_VENDOR_TOKEN}"}
identities:
  - {name: a, organ_id: "000.00.11.H10", token: "${env:TEST_VENDOR_TOKEN}"}
claims: [toy.sig]
trust_anchors: [anchors/ca.pem]
limits: {max_message_bytes: 1000}
"""


def test_secrets_come_from_the_environment_and_are_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_VENDOR_TOKEN", SECRET)
    target = load_target(write(tmp_path, GOOD))
    assert target.data["auth"]["token"] == SECRET
    redacted = json.dumps(target.redacted())
    assert SECRET not in redacted
    assert target.redacted()["auth"]["token"] == "***"
    assert target.redacted()["identities"][0]["token"] == "***"
    assert target.trust_anchors == (tmp_path / "anchors" / "ca.pem",)  # relative to the file's folder


def test_missing_environment_secret_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_VENDOR_TOKEN", raising=False)
    with pytest.raises(ConfigError) as err:
        load_target(write(tmp_path, GOOD))
    assert "TEST_VENDOR_TOKEN" in err.value.message and "export" in str(err.value.hint)


def test_a_literal_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_target(write(tmp_path, "target: {vendor: a, product: b, version: c}\nauth: {type: bearer, token: abc}\n"))
    assert "literal secret" in err.value.message


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_target(write(tmp_path, "target: {vendor: a, product: b, version: c}\nendpoint: {}\n"))
    assert "unknown key 'endpoint'" in err.value.message and "Did you mean 'endpoints'?" in err.value.message
    with pytest.raises(ConfigError) as err:
        load_target(write(tmp_path, "target: {vendor: a, product: b, versoin: c}\n"))
    assert "Did you mean 'version'?" in err.value.message


def test_wrong_types_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_target(write(tmp_path, "target: {vendor: a, product: b, version: c}\nsecurity_level: 9\n"))
    assert "security_level" in err.value.message


def test_unreadable_or_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read target file"):
        load_target(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_target(write(tmp_path, "target: [unclosed\n"))
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_target(write(tmp_path, "- a list\n"))


def test_masker_covers_the_encodings_a_secret_travels_in() -> None:
    import base64
    import urllib.parse

    masker = SecretMasker([SECRET])
    for form in (SECRET, urllib.parse.quote(SECRET, safe=""), json.dumps(SECRET)[1:-1],
                 base64.b64encode(SECRET.encode()).decode()):
        assert masker.mask(f"before {form} after") == "before *** after"


def test_validate_with_a_target_file_uses_its_claims_and_limits(run_cli: Callable[..., Result], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_VENDOR_TOKEN", SECRET)
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors" / "ca.pem").write_text("not used by the toy profile")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.txt").write_text("fine\n")
    (tmp_path / "m" / "big.txt").write_text("y\n" * 600)
    result = run_cli("validate", "-p", "toy", "-t", str(write(tmp_path, GOOD)), str(tmp_path / "m"),
                     "-o", str(tmp_path / "o"))
    assert result.exit_code == 1  # toy.sig is claimed through the target file, and a.txt has no SIG line
    written = b"".join(p.read_bytes() for p in (tmp_path / "o").rglob("*") if p.is_file())
    assert SECRET.encode() not in written
    report = load_valid_report(tmp_path / "o")
    assert report["target"] == {"vendor": "ACME", "product": "QLVB", "version": "5.2"}
    assert report["claims"] == ["toy.sig"]
    big = [r for r in report["results"] if r["subject"] == "m/big.txt"]
    assert "1000 bytes" in big[0]["message"]  # limits.max_message_bytes applies


def test_validate_takes_the_target_files_messages_when_no_path_is_given(run_cli: Callable[..., Result],
                                                                        tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "a.txt").write_text("fine\n")
    (tmp_path / "samples" / "b.txt").write_text("far too long a line\n")
    target = write(tmp_path, "target: {vendor: a, product: b, version: c}\nmessages: [samples/*.txt]\n")
    result = run_cli("validate", "-p", "toy", "-t", str(target), "-o", str(tmp_path / "o"))
    assert result.exit_code == 1, result.output
    report = load_valid_report(tmp_path / "o")
    assert report["summary"]["subjects"] == 2
    assert report["reproduce"]["command"].endswith(report["clock"])  # no expanded file list: -t says it
    empty = write(tmp_path, "target: {vendor: a, product: b, version: c}\nmessages: [nothing/*.txt]\n")
    missing = run_cli("validate", "-p", "toy", "-t", str(empty))
    assert missing.exit_code == 2 and "matches no file" in missing.output
    bare = run_cli("validate", "-p", "toy")
    assert bare.exit_code == 2 and "no messages to validate" in bare.output
