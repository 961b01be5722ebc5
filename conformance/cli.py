"""The ``conformance`` command line: parse arguments, call the engine, print, exit (``design.md``)."""

from __future__ import annotations

import functools
import json
import secrets
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .clock import Clock, parse_now
from .demo import demo_profiles, demo_target
from .doctor import diagnose
from .errors import ConfigError, ConformanceError, ProfileError
from .i18n import t
from .listen import listen_demos
from .live_session import RunOptions, run_live
from .model import ExitCode, Level, Verdict, exit_code_for
from .profiles import Profile, discover, resolve_profile
from .reporting import FORMATS, write_reports
from .reporting.json_writer import load_report, validate_report
from .session import ValidateOptions, default_out_dir, validate
from .target import load_target, target_messages

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])
# Logs (CI, files) get a fixed, wide layout; a terminal gets its own width.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 132)
err = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 132)


def _fail(exc: ConformanceError) -> int:
    err.print(f"[bold red]error:[/] {exc.message}", markup=True, highlight=False)
    if exc.hint:
        err.print(f"  [yellow]hint:[/] {exc.hint}", markup=True, highlight=False)
    return int(ExitCode.USAGE if isinstance(exc, ConfigError) else ExitCode.INCOMPLETE)


def guarded(func: F) -> F:
    """Map tool errors to exit codes and messages; never show a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConformanceError as exc:
            sys.exit(_fail(exc))
        except KeyboardInterrupt:
            err.print("interrupted")
            sys.exit(int(ExitCode.INCOMPLETE))
        except Exception as exc:  # a harness bug: say so plainly, exit 3
            err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}", markup=True, highlight=False)
            err.print("  this is a bug in the conformance tool, not a finding about your system; "
                      "please report it with the command line above")
            sys.exit(int(ExitCode.INCOMPLETE))

    return wrapper  # type: ignore[return-value]


def _profile(name: str) -> Profile:
    profile = resolve_profile(name)
    profile.load_checks()  # a broken profile fails here, before any subject is read
    return profile


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda n: bar.advance(task, n)


def _print_summary(report: dict[str, Any], written: list[Path]) -> None:
    lang = report["lang"]
    summary = report["summary"]
    table = Table(title=t("summary", lang), show_lines=False)
    table.add_column(t("requirement", lang))
    table.add_column("level")
    table.add_column("outcome")
    for outcome in ("pass", "fail", "inconclusive", "error", "not-applicable"):
        table.add_column(t(f"outcome.{outcome}", lang), justify="right")
    styles = {"fail": "red", "error": "magenta", "inconclusive": "yellow", "untested": "yellow", "pass": "green"}
    for rid, entry in summary["by_requirement"].items():
        outcome = entry["outcome"]
        table.add_row(rid, t(f"level.{entry['level']}", lang),
                      f"[{styles.get(outcome, 'dim')}]{t(f'outcome.{outcome}', lang)}[/]",
                      *(str(entry["counts"][o]) for o in ("pass", "fail", "inconclusive", "error",
                                                           "not-applicable")))
    out.print(table)
    failures = [r for r in report["results"] if r["outcome"] in ("fail", "error", "inconclusive")]
    for result in failures[:15]:
        mark = "warning" if result["level"] == Level.RECOMMENDED.value else result["outcome"]
        out.print(f"  [{mark}] {result['subject']}: {result['message']}", highlight=False, markup=False)
    if len(failures) > 15:
        out.print(f"  … {len(failures) - 15} more in the report", highlight=False)
    if summary["untested"]:
        out.print(f"{t('untested', lang)}: {', '.join(summary['untested'])}", highlight=False)
    colour = {"conformant": "green", "non-conformant": "red", "inconclusive": "yellow"}[report["verdict"]]
    out.print(f"[bold {colour}]{t('verdict', lang)}: {t('verdict.' + report['verdict'], lang)}[/] "
              f"({summary['subjects']} subjects)", highlight=False)
    out.print(f"{t('reproduce', lang)}: {report['reproduce']['command']}", highlight=False, markup=False)
    for path in written:
        out.print(f"  {path}", highlight=False)


def common_options(func: F) -> F:
    """The options ``validate``, ``run`` and ``demo`` share."""
    options = [
        click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), help="Output folder."),
        click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS),
                     help="Report format (repeatable; default: all)."),
        click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Parallel workers."),
        click.option("--seed", type=int, help="Seed for generated test data."),
        click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True,
                     help="Report language."),
        click.option("--trust", multiple=True, type=click.Path(path_type=Path),
                     help="Trust anchor (PEM) for message signatures (repeatable). Never extends TLS trust."),
        click.option("--claim", "claims", multiple=True, help="Claim an optional feature, e.g. edxml.signature."),
        click.option("--list-passes", is_flag=True, help="List pass and not-applicable results one by one."),
        click.option("--max-examples", type=click.IntRange(1), help="Generated cases per operation."),
        click.option("--now", "now", help="Pin the clock every date rule reads (RFC 3339)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _reproduce(command: str, clock: Clock, *, repeat: dict[str, Any], single: dict[str, Any],
               args: Any) -> str:
    """The command line that reproduces a run: every option that changes results, with the clock pinned."""
    words = ["conformance", command]
    for flag, values in repeat.items():
        for value in values:
            words += [flag, str(value)]
    for flag, value in single.items():
        if value is True:
            words.append(flag)
        elif value not in (None, False):
            words += [flag, str(value)]
    words += ["--now", clock.now().isoformat(), *map(str, args)]
    return shlex.join(words)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conformance")
def cli() -> None:
    """Conformance test suite for Vietnamese e-government interoperability standards.

    Exit codes: 0 conformant (or success), 1 non-conformant, 2 usage or configuration error,
    3 incomplete (inconclusive verdict, or the tool failed).
    """


@cli.command("profiles")
@guarded
def profiles_cmd() -> None:
    """List installed profiles."""
    table = Table()
    for column in ("id", "version", "title", "requirements"):
        table.add_column(column)
    for profile in discover().values():
        table.add_row(profile.id, profile.version, profile.title_in("en"), str(len(profile.requirements)))
    out.print(table)


@cli.group("profile")
def profile_group() -> None:
    """Inspect one profile."""


@profile_group.command("show")
@click.argument("profile_id")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True)
@guarded
def profile_show(profile_id: str, fmt: str, lang: str) -> None:
    """Print a profile's requirement catalogue, with clause references."""
    profile = resolve_profile(profile_id)
    if fmt == "json":
        click.echo(json.dumps({
            "id": profile.id, "version": profile.version, "title": dict(profile.title),
            "features": list(profile.features),
            "requirements": [{"id": r.id, "level": r.level.value, "feature": r.feature, "title": dict(r.title),
                              "clause": r.clause, "text": dict(r.text), "notes": dict(r.notes),
                              "applies_to": list(r.applies_to), "mandatory_from": r.mandatory_from}
                             for r in profile.requirements.values()],
            "notes": profile.raw.get("notes", []),
        }, ensure_ascii=False, indent=2))
        return
    lines = [f"# {profile.title_in(lang)} (`{profile.id}` {profile.version})", "",
             "| id | level | requirement | clause |", "|---|---|---|---|"]
    for r in profile.requirements.values():
        cell = (r.text.get(lang) or r.text.get("en") or r.title_in(lang)).replace("|", "\\|").replace("\n", " ")
        level = r.level.value + (f" ({r.feature})" if r.feature else "") + (
            f" from security level {r.mandatory_from}, recommended below" if r.mandatory_from else "")
        lines.append(f"| {r.id} | {level} | {cell} | {r.clause.replace('|', '/')} |")
    notes = [(r.id, r.notes.get(lang) or r.notes.get("en")) for r in profile.requirements.values() if r.notes]
    if notes:
        lines += ["", "## Readings", ""] + [f"- **{rid}**: {text.strip()}" for rid, text in notes if text]
    for note in profile.raw.get("notes", []):
        lines += ["", f"### {note['topic']}", "", (note.get(lang) or note["en"]).strip()]
    click.echo("\n".join(lines))


@cli.command("coverage")
@click.argument("profile_id")
@guarded
def coverage_cmd(profile_id: str) -> None:
    """List catalogue ids that no check verifies (exit 0 when none, 1 otherwise)."""
    profile = _profile(profile_id)
    verified = profile.verified()
    missing = [rid for rid in profile.requirements if rid not in verified]
    for rid in missing:
        click.echo(rid)
    if missing:
        err.print(f"{len(missing)} of {len(profile.requirements)} requirements of '{profile.id}' have no check")
        sys.exit(int(ExitCode.NON_CONFORMANT))
    err.print(f"every requirement of '{profile.id}' ({len(profile.requirements)}) has a check")


@cli.command("validate")
@click.option("-p", "--profile", "profile_names", multiple=True, required=True, help="Profile id or folder.")
@click.option("-t", "--target", "target_file", type=click.Path(path_type=Path),
              help="Target file (claims, trust anchors, limits).")
@click.option("--max-bytes", type=click.IntRange(1), help="Size cap for one message (default: the profile's).")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@common_options
@guarded
def validate_cmd(profile_names: tuple[str, ...], target_file: Path | None, max_bytes: int | None,
                 paths: tuple[Path, ...], out_dir: Path | None, formats: tuple[str, ...], jobs: int,
                 seed: int | None, lang: str, trust: tuple[Path, ...], claims: tuple[str, ...], list_passes: bool,
                 max_examples: int | None, now: str | None) -> None:
    """Validate message files or folders offline (PATH..., or the target file's ``messages``)."""
    clock = parse_now(now) if now else Clock.start()
    target = load_target(target_file) if target_file else None
    profiles = [_profile(name) for name in profile_names]
    if target is not None:
        profiles = [p.at_security_level(target.security_level) for p in profiles]
    given = paths  # what reproduces the run: with no paths, the target file's messages again
    if not paths and target is not None:
        paths = tuple(target_messages(target))
    if not paths:
        raise ConfigError("no messages to validate", hint="give files or folders, or a target file (-t) that lists "
                                                          "samples under 'messages'")
    for path in paths:
        if not path.exists():
            raise ConfigError(f"cannot read '{path}': no such file or folder", hint="give files or folders that exist")
    opts = ValidateOptions(
        profiles=profiles, paths=list(paths), clock=clock, out_dir=out_dir, formats=formats or FORMATS, jobs=jobs,
        seed=seed, lang=lang, trust=list(trust), claims=list(claims), list_passes=list_passes, max_bytes=max_bytes,
        target=target,
        reproduce=_reproduce("validate", clock, repeat={"-p": profile_names, "--trust": trust, "--claim": claims},
                             single={"-t": target_file, "--max-bytes": max_bytes, "--seed": seed,
                                     "--list-passes": list_passes}, args=given),
    )
    with _progress("validating") as progress:
        report, written = validate(opts, progress)
    _print_summary(report, written)
    sys.exit(int(exit_code_for(Verdict(report["verdict"]))))


@cli.command("demo")
@common_options
@guarded
def demo_cmd(out_dir: Path | None, formats: tuple[str, ...], jobs: int, seed: int | None, lang: str,
             trust: tuple[Path, ...], claims: tuple[str, ...], list_passes: bool, max_examples: int | None,
             now: str | None) -> None:
    """Start the bundled reference systems, run every profile against them, write reports/demo/."""
    clock = parse_now(now) if now else Clock.start()
    target_dir = out_dir or Path("reports") / "demo"
    profiles = demo_profiles()
    if not profiles:
        raise ProfileError("no installed profile declares a demo (demo.corpus or demo.system) or live checks")
    seed = seed if seed is not None else secrets.randbelow(2**31)
    err.print(f"demo: {', '.join(p.id for p in profiles)}", highlight=False)
    with demo_target(profiles, target_dir / "inputs", clock) as target_file:
        reproduce = _reproduce("run", clock, repeat={"-p": [p.id for p in profiles]},
                               single={"-t": target_file, "--seed": seed, "--max-examples": max_examples}, args=())
        opts = RunOptions(target_file=target_file, out_dir=target_dir, profiles=[p.id for p in profiles],
                          formats=formats or FORMATS, jobs=jobs, seed=seed, lang=lang,
                          max_examples=max_examples or 50, now=clock.now().isoformat(), claims=claims,
                          reproduce=reproduce)
        report = run_live(opts)
    _print_summary(report, sorted(p for p in target_dir.iterdir() if p.is_file() or p.name == "allure-results"))
    verdicts = [Verdict(report["verdict"])]
    for profile, peer_report, written in listen_demos(target_dir, clock=clock, lang=lang, formats=formats or FORMATS):
        err.print(f"demo: {profile.id}, its reference client against the peer the tool plays", highlight=False)
        _print_summary(peer_report, written)
        verdicts.append(Verdict(peer_report["verdict"]))
    worst = next((v for v in (Verdict.NON_CONFORMANT, Verdict.INCONCLUSIVE) if v in verdicts), Verdict.CONFORMANT)
    sys.exit(int(exit_code_for(worst)))


@cli.command("run")
@click.option("-t", "--target", "target_file", type=click.Path(path_type=Path), required=True,
              help="Target file: the system under test, its endpoints, identities and limits.")
@click.option("-p", "--profile", "profile_names", multiple=True,
              help="Live profile id or folder (repeatable; default: every installed live profile).")
@click.option("--callback-host", help="An address of this machine the system can reach, for out-of-band probes "
                                      "(XXE); needed when the system is not on this machine.")
@common_options
@guarded
def run_cmd(target_file: Path, profile_names: tuple[str, ...], callback_host: str | None, out_dir: Path | None,
            formats: tuple[str, ...], jobs: int, seed: int | None, lang: str, trust: tuple[Path, ...],
            claims: tuple[str, ...], list_passes: bool, max_examples: int | None, now: str | None) -> None:
    """Run live profiles against a running system (every result is listed, passes included)."""
    clock = parse_now(now) if now else Clock.start()
    target = load_target(target_file)
    for name in profile_names:
        if _profile(name).load_live() is None and not target.data.get("messages"):
            raise ConfigError(f"profile '{name}' judges message files, and the target file lists none",
                              hint=f"list samples under 'messages' in the target file, or use "
                                   f"'conformance validate -p {name} FILES…'")
    seed = seed if seed is not None else secrets.randbelow(2**31)
    reproduce = _reproduce("run", clock, repeat={"-p": profile_names, "--claim": claims},
                           single={"-t": target_file, "--seed": seed, "--max-examples": max_examples,
                                   "--callback-host": callback_host}, args=())
    opts = RunOptions(target_file=target_file, out_dir=out_dir or default_out_dir(target_file.stem),
                      profiles=profile_names, formats=formats or FORMATS, jobs=jobs, seed=seed, lang=lang,
                      max_examples=max_examples or 50, now=clock.now().isoformat(), claims=claims,
                      reproduce=reproduce, callback_host=callback_host)
    report = run_live(opts)
    _print_summary(report, sorted(p for p in opts.out_dir.iterdir() if p.name != "inputs"))
    sys.exit(int(exit_code_for(Verdict(report["verdict"]))))


@cli.command("doctor")
@click.option("-t", "--target", "target_file", type=click.Path(path_type=Path), required=True,
              help="Target file to check.")
@click.option("-p", "--profile", "profile_names", multiple=True, help="Also check what these profiles need.")
@guarded
def doctor_cmd(target_file: Path, profile_names: tuple[str, ...]) -> None:
    """Check a target file before a run: the file, reachability, TLS trust, the API document, credentials."""
    profiles = [_profile(name) for name in profile_names]
    checks = diagnose(target_file, profiles)
    for check in checks:
        mark = {"ok": "[green]ok[/]", "problem": "[red]problem[/]", "note": "[yellow]note[/]"}[check.status]
        out.print(f"{mark:>24}  {check.what}: {check.detail}", highlight=False)
        if check.fix:
            out.print(f"{'':>10}fix: {check.fix}", highlight=False, markup=False)
    problems = [c for c in checks if c.status == "problem"]
    if problems:
        err.print(f"{len(problems)} problem(s) to fix before a run")
        sys.exit(int(ExitCode.USAGE))
    out.print("[green]ready:[/] the target file, the system and the credentials are fit for a run")


@cli.command("report")
@click.argument("report_file", type=click.Path(path_type=Path))
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS), required=True)
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), help="Output folder.")
@click.option("--lang", type=click.Choice(["en", "vi"]), help="Render in another language.")
@guarded
def report_cmd(report_file: Path, formats: tuple[str, ...], out_dir: Path | None, lang: str | None) -> None:
    """Render a stored report.json again."""
    try:
        report = load_report(report_file)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read report '{report_file}': {exc}", hint="give the path of a report.json") from exc
    problems = validate_report(report)
    if problems:
        raise ConfigError(f"'{report_file}' is not a conformance-report/1 document:\n  " + "\n  ".join(problems[:10]))
    if lang:
        report["lang"] = lang
    target = out_dir or report_file.parent
    if "json" in formats and target.resolve() == report_file.parent.resolve():
        formats = tuple(f for f in formats if f != "json")  # never overwrite the original
    written = write_reports(report, target, list(formats))
    for path in written:
        out.print(str(path), highlight=False)


# Commands kept in modules of their own, built with this module's helpers.
from .cli_listen import listen_command  # noqa: E402

cli.add_command(listen_command(guarded, _print_summary, _profile, _reproduce, err))


def main() -> None:
    """Entry point of the ``conformance`` script."""
    cli(prog_name="conformance")


if __name__ == "__main__":  # pragma: no cover
    main()

