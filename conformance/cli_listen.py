"""The ``conformance listen`` command: parse its options, play the peer, print the verdict, exit with its code.

``cli.py`` builds it with its own helpers (error mapping, summary, reproduce line), which this module takes as
arguments rather than importing, so the two modules do not import each other.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from .clock import Clock, parse_now
from .errors import ConfigError
from .listen import DEFAULT_HOST, ListenOptions, listen
from .model import Verdict, exit_code_for
from .profiles import Profile
from .reporting import FORMATS

__all__ = ["listen_command"]


def _credentials(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise ConfigError("--credentials must be USER:PASS", hint="for example --credentials motcua:s3cret")
    return user, password


Command = Callable[..., None]


def listen_command(guarded: Callable[[Command], Command], print_summary: Callable[[dict[str, Any], list[Path]], None],
                   load_profile: Callable[[str], Profile], reproduce: Callable[..., str],
                   err: Console) -> click.Command:
    """The ``listen`` command, built with the CLI's helpers."""

    @click.command("listen")
    @click.option("-p", "--profile", "profile_name", required=True, help="Profile id or folder (it must have a peer).")
    @click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to bind (loopback by default).")
    @click.option("--port", type=click.IntRange(0, 65535), required=True, help="Port to bind (0: any free port).")
    @click.option("--count", type=click.IntRange(1), help="Stop after this many messages (calls the peer judges).")
    @click.option("--duration", type=click.FloatRange(0, min_open=True), help="Stop after this many seconds.")
    @click.option("--tls-cert", type=click.Path(path_type=Path, dir_okay=False),
                  help="Serve HTTPS with this PEM certificate.")
    @click.option("--tls-key", type=click.Path(path_type=Path, dir_okay=False),
                  help="The PEM private key of --tls-cert.")
    @click.option("--credentials", help="Accept only USER:PASS (default: any credentials).")
    @click.option("--max-bytes", type=click.IntRange(1), help="Size cap for one message (default: the profile's).")
    @click.option("--claim", "claims", multiple=True, help="Claim an optional feature.")
    @click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), help="Output folder.")
    @click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS),
                  help="Report format (repeatable; default: all).")
    @click.option("--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True, help="Report language.")
    @click.option("--now", "now", help="Pin the clock every date rule reads (RFC 3339); default: the live time.")
    @guarded
    def listen_cmd(profile_name: str, host: str, port: int, count: int | None, duration: float | None,
                   tls_cert: Path | None, tls_key: Path | None, credentials: str | None, max_bytes: int | None,
                   claims: tuple[str, ...], out_dir: Path | None, formats: tuple[str, ...], lang: str,
                   now: str | None) -> None:
        """Play a profile's peer (a portal, a hub) and judge every message a client sends.

        Stops after --count messages, after --duration seconds, or on Ctrl-C (SIGINT) or SIGTERM; then writes
        the reports, listing every result, and exits with the verdict's code.
        """
        if count is not None and duration is not None:
            raise ConfigError("--count and --duration exclude each other", hint="give one stop condition, or neither "
                                                                                "to stop with Ctrl-C")
        profile = load_profile(profile_name)
        clock = parse_now(now) if now else Clock()
        user_pass = _credentials(credentials)
        # The password is a secret: the reproduce line keeps the user and hides the rest.
        shown = f"{user_pass[0]}:***" if user_pass else None
        opts = ListenOptions(
            profile=profile, host=host, port=port, count=count, duration=duration, clock=clock, lang=lang,
            out_dir=out_dir, formats=formats or FORMATS, claims=claims, credentials=user_pass, tls_cert=tls_cert,
            tls_key=tls_key, max_bytes=max_bytes,
            reproduce=reproduce("listen", clock if now else Clock.start(), repeat={"--claim": claims},
                                 single={"-p": profile_name, "--host": host, "--port": port, "--count": count,
                                         "--duration": duration, "--tls-cert": tls_cert, "--tls-key": tls_key,
                                         "--credentials": shown, "--max-bytes": max_bytes}, args=()),
        )

        def ready(url: str) -> None:
            stop = f"after {count} messages" if count else f"after {duration:g} s" if duration else "with Ctrl-C"
            err.print(f"listening as '{profile.id}' on {url}; stops {stop}", highlight=False)

        report, written = listen(opts, ready)
        print_summary(report, written)
        sys.exit(int(exit_code_for(Verdict(report["verdict"]))))

    return listen_cmd
