"""Throughput of ``validate -p edxml`` against bare lxml parse + XSD validation of the same files.

Generates N packages of about 50 KB with base64 attachments, then measures, in the same run and on
the same files: the baseline (read, ``lxml.etree.fromstring``, ``XMLSchema.validate`` with the
profile's own XSD), and the full profile at ``--jobs 1`` and ``--jobs 2`` (every rule, report
included). Prints messages per second and the ratios. Best of ``--repeat`` runs, to damp noise.

    python bench/validate_bench.py [--count 2000] [--size 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from conformance.profiles import resolve_profile
from conformance_fixtures.edxml_corpus import bulk_packages
from rounds import NOW, interleaved, profile_run


def baseline(files: list[Path], xsd: etree.XMLSchema) -> int:
    """Bare lxml: read, parse with the same hardened settings, validate against the XSD."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    valid = 0
    for path in files:
        valid += bool(xsd.validate(etree.fromstring(path.read_bytes(), parser)))
    return valid


def main() -> None:
    """Generate the packages, time both paths, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    # Set-up on both sides stays outside the timing: loading the profile here, compiling the XSD there.
    profile = resolve_profile("edxml")
    profile.load_checks()
    xsd = etree.XMLSchema(etree.parse(str(profile.artefacts["xsd"])))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "packages"
        folder.mkdir()
        for name, data in bulk_packages(args.count, now=NOW.now(), approx_bytes=args.size):
            (folder / name).write_bytes(data)
        files = sorted(folder.iterdir())
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        print(f"{len(files)} packages, {megabytes:.1f} MB, best of {args.repeat} interleaved rounds")
        runs: dict[str, Callable[[], object]] = {
            "baseline lxml parse + XSD": lambda: baseline(files, xsd),
            "validate -p edxml --jobs 1": lambda: profile_run(profile, folder, Path(tmp) / "out1", 1),
            "validate -p edxml --jobs 2": lambda: profile_run(profile, folder, Path(tmp) / "out2", 2),
        }
        rounds = interleaved(runs, args.repeat, expected=(len(files), "conformant"))
    base = "baseline lxml parse + XSD"
    print(f"{'':<32} {'best round':>17}  {'ratio of bests':>14}  {'median per-round ratio':>22}")
    for label in runs:
        best = min(r[label] for r in rounds)
        median = statistics.median(r[base] / r[label] for r in rounds)
        print(f"{label:<32} {len(files) / best:>7.0f} messages/s  {min(r[base] for r in rounds) / best:>14.2f}"
              f"  {median:>22.2f}")


if __name__ == "__main__":
    main()
