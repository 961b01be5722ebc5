"""A toy profile for harness tests: files of ``NAME COUNT`` lines, one subject per line, judged across the run.

Words that break the profile on purpose: SPLITBOOM (the splitter), GATHERBOOM (gathering facts), ACROSSBOOM
(the run-level judgement), SILENT (the judgement yields nothing). The peer judges every POST body as a line.
"""

from __future__ import annotations

from conformance.listen import read_body, send_json
from conformance.registry import Checks, Finding, RawSubject, Stop

checks = Checks("tally")


@checks.splitter
def lines(raw, ctx):
    if b"SPLITBOOM" in raw.data:
        raise RuntimeError("the splitter broke")
    for number, line in enumerate(raw.data.split(b"\n"), 1):
        if line.strip():
            yield RawSubject(f"{raw.name}:{number}", line, raw.path)


@checks.loader("TAL-01")
def load(raw, ctx):
    parts = raw.data.decode("utf-8", "replace").split()
    if len(parts) != 2 or not parts[1].isdigit():
        raise Stop("TAL-01", [Finding(f"not NAME COUNT: {raw.data[:40]!r}")])
    return parts[0], int(parts[1])


@checks.check("TAL-02")
def small(entry, ctx):
    return [Finding(f"{entry[1]} is over 9")] if entry[1] > 9 else []


def counts(entry, ctx):
    if entry[0] == "GATHERBOOM":
        raise ValueError("the gatherer broke")
    return [entry]


@checks.across("TAL-03", gather=counts)
def never_down(contributions, ctx):
    last: dict[str, int] = {}
    found: dict[str, list[Finding]] = {}
    seen: list[str] = []
    for contribution in contributions:
        for name, count in contribution.facts:
            if name == "ACROSSBOOM":
                raise RuntimeError("the judgement broke")
            if name == "SILENT":
                return
            if name not in seen:
                seen.append(name)
            if contribution.rejected:
                continue
            if name in last and count < last[name]:
                found.setdefault(name, []).append(Finding(f"{name} went down from {last[name]} to {count}",
                                                          path=contribution.subject))
            else:
                last[name] = count
    for name in seen:
        yield f"name {name}", found.get(name, [])


@checks.peer
def peer(session):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = await read_body(receive, session.max_bytes)
        if body is None:
            judged = session.too_large(f"POST {scope['path']}")
            await send_json(send, {"too_large": True})
            return
        judged = session.judge(f"POST {scope['path']}", body, refused=scope["path"] == "/refuse",
                               request={"path": scope["path"]})
        answer = {"refused": sorted({r.requirement for r in judged.failures()})}
        judged.evidence["response"] = answer
        await send_json(send, answer)

    return app
