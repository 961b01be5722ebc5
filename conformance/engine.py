"""The bulk fast path of ``validate``: streams files through a profile's checks, in a process pool."""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import os
import re
import stat
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .evaluate import (
    AcceptingRun,
    SubjectReport,
    evaluate_parts,
    judge_across,
    judge_across_counted,
    merge_reports,
    split_subject,
    unreadable_subject,
)
from .i18n import t
from .model import Outcome, Result
from .profiles import Profile, load_profile
from .registry import CheckContext, Checks, Contribution, RawSubject
from .report import ReportBuilder

__all__ = ["Batch", "iter_subject_files", "judge_file", "judge_file_parts", "validate_files"]

CHUNK = 32


def iter_subject_files(paths: Iterable[Path], patterns: Iterable[str]) -> Iterator[tuple[str, str]]:
    """The files to validate, as (path, report name), sorted within each folder.

    A named file keeps the name it was given; a file found in a folder is named relative to the folder's
    parent, so ``validate corpus/`` reports ``corpus/a/b.xml``.
    """
    # One compiled pattern for all: a folder of 100 000 messages asks it once per name.
    wanted = re.compile("|".join(f"(?:{fnmatch.translate(pat)})" for pat in patterns) or "(?!)").match
    for path in paths:
        if path.is_file():
            yield str(path), path.as_posix()
        elif path.is_dir():
            top = os.path.normpath(path)
            cut = len(os.path.dirname(top)) + 1 if os.path.dirname(top) else 0
            # os.walk reads file types from the directory itself: no stat per file, no symlinked-folder loops.
            found = sorted(os.path.join(folder, name) for folder, _, names in os.walk(top)
                           for name in names if wanted(name))
            for file in found:
                yield file, file[cut:].replace(os.sep, "/")
        elif path.exists():
            raise ConfigError(f"cannot read '{path}': it is neither a regular file nor a folder",
                              hint="give message files or folders")
        else:
            raise ConfigError(f"cannot read '{path}': no such file or folder",
                              hint="give message files or folders that exist")


@dataclass(frozen=True, slots=True)
class Batch:
    """What a worker sends back for a chunk of files: counts, the results to list, omitted ids, run-level facts."""

    counts: Counter[tuple[str, Outcome]]
    listed: list[Result]
    omitted: set[str]
    subjects: int
    contributions: list[tuple[str, Contribution]] = field(default_factory=list)


def judge_file(profile: Profile, checks: Checks, ctx: CheckContext, path: str, name: str,
               max_bytes: int, *, list_quiet: bool = True) -> SubjectReport:
    """Read one file under the size cap and judge it (every subject it holds, in one report)."""
    return merge_reports(judge_file_parts(profile, checks, ctx, path, name, max_bytes, list_quiet=list_quiet))


def judge_file_parts(profile: Profile, checks: Checks, ctx: CheckContext, path: str, name: str,
                     max_bytes: int, *, list_quiet: bool = True) -> Iterator[SubjectReport]:
    """Read one file under the size cap and judge each subject it holds; an unreadable file is inconclusive."""
    data = _read_capped(profile, checks, ctx, path, name, max_bytes)
    if isinstance(data, SubjectReport):
        yield data
        return
    stamp = _Stamp(data)
    for report in evaluate_parts(profile.id, profile.requirements, checks, RawSubject(name, data, path), ctx,
                                 list_quiet=list_quiet):
        yield stamp(report)


class _Stamp:
    """Marks every listed result with the exact bytes it was judged on (their hash, taken once), for re-checking."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.judged: dict[str, object] | None = None

    def __call__(self, report: SubjectReport) -> SubjectReport:
        if not report.results:
            return report
        judged = self.judged = self.judged or {"sha256": hashlib.sha256(self.data).hexdigest(),
                                               "bytes": len(self.data)}
        return dataclasses.replace(report, results=tuple(
            dataclasses.replace(r, evidence={**r.evidence, "judged": judged}) for r in report.results))


def _read_capped(profile: Profile, checks: Checks, ctx: CheckContext, path: str, name: str,
                 max_bytes: int) -> bytes | SubjectReport:
    """The file's bytes, or the report of a file that cannot be read (not regular, too large, unreadable)."""
    reqs = profile.requirements
    try:
        # Non-blocking, so a FIFO or device in a folder cannot hang the run; only regular files are read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return unreadable_subject(profile.id, reqs, checks, name, t("file.not_regular", ctx.lang),
                                          {"path": path})
            size = info.st_size
            if size > max_bytes:
                return unreadable_subject(profile.id, reqs, checks, name,
                                          t("file.too_large", ctx.lang, size=size, limit=max_bytes),
                                          {"size_bytes": size, "limit_bytes": max_bytes})
            # Ask for what fstat saw, plus one to notice growth; a bare os.read spares a buffered file per file.
            data = os.read(fd, size + 1)
            while len(data) < size:  # a short read: read on until the end
                more = os.read(fd, size + 1 - len(data))
                if not more:
                    break
                data += more
        finally:
            os.close(fd)
    except OSError as exc:
        return unreadable_subject(profile.id, reqs, checks, name,
                                  t("file.unreadable", ctx.lang, reason=exc.strerror), {"path": str(path)})
    if len(data) > size:
        return unreadable_subject(profile.id, reqs, checks, name, t("file.grew", ctx.lang), {"size_bytes": size})
    return data


class _Tally:
    """What a batch of files adds up to, report by report."""

    def __init__(self, list_passes: bool) -> None:
        self.list_passes = list_passes
        self.counts: Counter[tuple[str, Outcome]] = Counter()
        self.listed: list[Result] = []
        self.omitted: set[str] = set()
        self.contributions: list[tuple[str, Contribution]] = []
        self.subjects = 0

    def add(self, report: SubjectReport) -> None:
        self.counts.update(report.counted)  # (requirement, outcome) pairs, counted in C
        for result in report.results:
            self.counts[(result.requirement, result.outcome)] += 1
            if self.list_passes or result.outcome not in (Outcome.PASS, Outcome.NOT_APPLICABLE):
                self.listed.append(result)
        self.omitted |= report.omitted
        self.contributions += report.contributions
        self.subjects += report.subjects

    def batch(self) -> Batch:
        return Batch(self.counts, self.listed, self.omitted, self.subjects, self.contributions)


def _judge_batch(profile: Profile, checks: Checks, ctx: CheckContext, items: list[tuple[str, str]],
                 max_bytes: int, list_passes: bool) -> Batch:
    tally = _Tally(list_passes)
    if not list_passes and checks.raw_acceptor is not None:
        _judge_accepting(profile, checks, ctx, items, max_bytes, tally)
        return tally.batch()
    for path, name in items:
        for report in judge_file_parts(profile, checks, ctx, path, name, max_bytes, list_quiet=list_passes):
            tally.add(report)
    return tally.batch()


def _judge_accepting(profile: Profile, checks: Checks, ctx: CheckContext, items: list[tuple[str, str]],
                     max_bytes: int, tally: _Tally) -> None:
    """:func:`judge_file_parts` in bulk, for a profile with a raw acceptor: one run of proofs over every file.

    With one small message per file, per-file reports and generators cost about a sixth of the time.
    """
    run = AcceptingRun(profile.id, profile.requirements, checks, ctx)
    for path, name in items:
        data = _read_capped(profile, checks, ctx, path, name, max_bytes)
        if isinstance(data, SubjectReport):
            tally.add(data)
            continue
        stamp = _Stamp(data)
        parts = split_subject(profile.id, profile.requirements, checks, RawSubject(name, data, path), ctx)
        if isinstance(parts, SubjectReport):
            tally.add(stamp(parts))
            continue
        for part in parts:
            for report in run.judge(part):
                tally.add(stamp(report))
    for report in run.flush():
        tally.add(report)


_WORKER: tuple[Profile, Checks, CheckContext, int, bool] | None = None


def _init_worker(root: str, module_name: str | None, ctx: CheckContext, max_bytes: int, list_passes: bool) -> None:
    global _WORKER
    profile = load_profile(Path(root), module_name)
    _WORKER = (profile, profile.load_checks(), ctx, max_bytes, list_passes)


def _worker_batch(items: list[tuple[str, str]]) -> Batch:
    assert _WORKER is not None, "worker not initialised"
    profile, checks, ctx, max_bytes, list_passes = _WORKER
    return _judge_batch(profile, checks, ctx, items, max_bytes, list_passes)


def _chunks(files: Iterator[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    for item in files:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def validate_files(profile: Profile, paths: list[Path], ctx: CheckContext, builder: ReportBuilder, *,
                   jobs: int = 1, max_bytes: int, patterns: Iterable[str],
                   progress: Callable[[int], None] | None = None) -> None:
    """Judge every file under ``paths`` and add the results to ``builder``, in file order.

    The facts subjects contribute to run-level requirements come back with each batch, in file order;
    once every file is judged, the run-level judgements add their results.
    """
    checks = profile.load_checks()
    contributions: list[tuple[str, Contribution]] = []
    _judge_files(profile, checks, paths, ctx, builder, contributions, jobs=jobs, max_bytes=max_bytes,
                 patterns=patterns, progress=progress)
    if not checks.across_judgements:
        return
    if builder.list_passes:
        builder.add_run_results(judge_across(profile.id, profile.requirements, checks, contributions, ctx))
    else:  # one result per thing judged (a dossier): only those listed are built
        run = judge_across_counted(profile.id, profile.requirements, checks, contributions, ctx)
        counts = Counter(run.counted)
        counts.update((result.requirement, result.outcome) for result in run.results)
        builder.add_counts(profile.id, counts, run.results, (), 0)


def _judge_files(profile: Profile, checks: Checks, paths: list[Path], ctx: CheckContext, builder: ReportBuilder,
                 contributions: list[tuple[str, Contribution]], *, jobs: int, max_bytes: int,
                 patterns: Iterable[str], progress: Callable[[int], None] | None) -> None:
    files = iter_subject_files(paths, patterns)
    if jobs <= 1:
        for chunk in _chunks(files, CHUNK):
            batch = _judge_batch(profile, checks, ctx, chunk, max_bytes, builder.list_passes)
            builder.add_counts(profile.id, batch.counts, batch.listed, batch.omitted, batch.subjects)
            contributions += batch.contributions
            if progress:
                progress(batch.subjects)
        return
    workers = min(jobs, os.cpu_count() or 1)
    initargs = (str(profile.root), profile.module_name, ctx, max_bytes, builder.list_passes)
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=initargs)
    window: deque[tuple[list[tuple[str, str]], Future[Batch]]] = deque()
    try:
        for chunk in _chunks(files, CHUNK):
            window.append((chunk, pool.submit(_worker_batch, chunk)))
            while len(window) >= workers * 4:
                pool = _collect(window, pool, workers, initargs, profile, checks, ctx, builder, contributions,
                                progress)
        while window:
            pool = _collect(window, pool, workers, initargs, profile, checks, ctx, builder, contributions, progress)
    finally:
        pool.shutdown(cancel_futures=True)


def _collect(window: deque[tuple[list[tuple[str, str]], Future[Batch]]], pool: ProcessPoolExecutor,
             workers: int, initargs: tuple[Any, ...], profile: Profile, checks: Checks, ctx: CheckContext,
             builder: ReportBuilder, contributions: list[tuple[str, Contribution]],
             progress: Callable[[int], None] | None) -> ProcessPoolExecutor:
    """Add the oldest chunk's results; if a worker died, recover and return the pool to go on with."""
    chunk, future = window.popleft()
    try:
        batch = future.result()
    except BrokenProcessPool:
        # A subject killed its worker (a crash in a native library, the memory limit). Everything in
        # flight is lost with the pool: resubmit it to a new one, and find the culprit file by file.
        pool.shutdown(cancel_futures=True)
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=initargs)
        for i, (other, _) in enumerate(window):
            window[i] = (other, pool.submit(_worker_batch, other))
        batch = _isolate(chunk, initargs, profile, checks, ctx)
    builder.add_counts(profile.id, batch.counts, batch.listed, batch.omitted, batch.subjects)
    contributions += batch.contributions
    if progress:
        progress(batch.subjects)
    return pool


def _isolate(chunk: list[tuple[str, str]], initargs: tuple[Any, ...], profile: Profile, checks: Checks,
             ctx: CheckContext) -> Batch:
    """Judge each file of a chunk in a process of its own; one that kills it gets an ``error`` result."""
    counts: Counter[tuple[str, Outcome]] = Counter()
    listed: list[Result] = []
    omitted: set[str] = set()
    contributions: list[tuple[str, Contribution]] = []
    subjects = 0
    for item in chunk:
        with ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=initargs) as solo:
            try:
                batch = solo.submit(_worker_batch, [item]).result()
            except BrokenProcessPool:
                report = unreadable_subject(profile.id, profile.requirements, checks, item[1],
                                            t("file.worker_died", ctx.lang), {"path": item[0]}, Outcome.ERROR)
                batch = Batch(Counter((r.requirement, r.outcome) for r in report.results), list(report.results),
                              set(report.omitted), 1)
        counts.update(batch.counts)
        listed.extend(batch.listed)
        omitted |= batch.omitted
        contributions += batch.contributions
        subjects += batch.subjects
    return Batch(counts, listed, omitted, subjects, contributions)
