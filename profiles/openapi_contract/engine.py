"""Sending cases to a live API and judging every answer against its OpenAPI document.

The engine sees *aspects* of each answer (a 5xx, an undocumented status, a body that breaks its
schema, a negative case accepted…). Profiles map aspects to their own requirement ids: the
``openapi-contract`` profile to API-xx, ``edoc-exchange`` to EXC-01…04. Findings are de-duplicated:
one per operation, aspect and kind, with a count and the first exchange as evidence (curl included).
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import unicodedata
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import jsonschema

from conformance.apidoc import MAX_DEPTH
from conformance.http import HardenedClient, HttpFailure, Response
from conformance.i18n import load_catalogue
from conformance.live import LiveContext, failed
from conformance.registry import Judgement, inconclusive, not_applicable, passed

from .cases import Case, GenerationProblem, is_json_media, negative_cases, positive_cases
from .spec import Link, Operation, Spec

__all__ = [
    "ASPECTS",
    "Observation",
    "OperationRun",
    "exercise",
    "follow_links",
    "probe_methods",
    "say",
]

ASPECTS = ("server-error", "undocumented-status", "content-type", "body-schema", "headers", "accepted-negative",
           "refused-positive", "auth", "problem-type", "problem-members", "nfc")
STATEFUL_STATUSES = frozenset({401, 403, 404, 409, 422, 429})
VIETNAMESE = "Sở Thông tin và Truyền thông tỉnh Tây Ninh: Nguyễn Thị Ánh Tuyết, Đắk Lắk"
_MESSAGES = Path(__file__).with_name("messages.yaml")
_FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER
T = TypeVar("T")


def say(lang: str, key: str, /, **params: object) -> str:
    """An engine message in ``lang`` (the openapi-contract catalogue, shared by every profile using the engine)."""
    entry = load_catalogue(_MESSAGES)[key]
    return (entry.get(lang) or entry["en"]).format(**params)


@dataclass
class Observation:
    """One kind of problem seen on an operation, how often, and the first exchange that showed it."""

    aspect: str
    kind: str
    message: str
    count: int = 0
    exchange: Mapping[str, Any] | None = None
    case: str | None = None


@dataclass
class OperationRun:
    """What exercising one operation showed: counts, statuses, and observations per aspect."""

    operation: Operation
    seed: int
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    observations: dict[tuple[str, str], Observation] = field(default_factory=dict)
    judged: Counter[str] = field(default_factory=Counter)
    transport: list[str] = field(default_factory=list)
    sample: Mapping[str, Any] | None = None
    roundtrip: str | None = None  # "intact", or how the text came back
    problem: str | None = None
    unjudged: dict[str, str] = field(default_factory=dict)  # aspect -> why an answer could not be judged on it

    def see(self, aspect: str, kind: str, message: str, response: Response | None, case: Case | None) -> None:
        """Record one occurrence of a problem."""
        found = self.observations.get((aspect, kind))
        if found is None:
            found = self.observations[(aspect, kind)] = Observation(
                aspect, kind, message, exchange=response.exchange.to_json() if response else None,
                case=case.broken if case else None)
        found.count += 1

    def judge(self, aspects: Iterable[str], lang: str, *, what: str) -> Judgement:
        """The outcome for a requirement made of ``aspects``: fail on any observation, else pass or why not."""
        wanted = tuple(aspects)
        seen = [o for o in self.observations.values() if o.aspect in wanted]
        evidence = self.evidence()
        if seen:
            first = seen[0]
            total = sum(o.count for o in seen)
            message = say(lang, "fail.summary", first=first.message, count=total, kinds=len(seen))
            return failed(message, observations=[_finding(o) for o in seen[:20]], **evidence)
        judged = sum(self.judged[a] for a in wanted)
        if judged:
            return passed(say(lang, "pass.summary", count=judged, what=what), **evidence)
        unjudged = next((self.unjudged[a] for a in wanted if a in self.unjudged), None)
        if unjudged:
            return inconclusive(unjudged, **evidence)
        if self.problem:
            return inconclusive(self.problem, **evidence)
        if self.transport:
            return inconclusive(say(lang, "inconclusive.transport", count=len(self.transport),
                                    first=self.transport[0]), **evidence)
        return not_applicable(say(lang, "na.nothing", what=what), **evidence)

    def evidence(self) -> dict[str, Any]:
        """What every result of this operation carries: the seed, counts, statuses and one sample exchange."""
        out: dict[str, Any] = {"operation": self.operation.label, "seed": self.seed, "cases": dict(self.sent),
                               "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}
        if self.sample is not None:
            out["sample_exchange"] = self.sample
        if self.transport:
            out["transport_failures"] = self.transport[:5]
        return out


def _finding(observation: Observation) -> dict[str, Any]:
    out: dict[str, Any] = {"aspect": observation.aspect, "kind": observation.kind, "message": observation.message,
                           "count": observation.count}
    if observation.case:
        out["case"] = observation.case
    if observation.exchange:
        out["exchange"] = observation.exchange
        out["curl"] = observation.exchange.get("curl")
    return out


def documented(operation: Operation, status: int) -> tuple[str, Mapping[str, Any]] | None:
    """The response object documented for ``status``: exact code, then ``4XX`` range, then ``default``."""
    for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
        if key in operation.responses:
            return key, operation.responses[key]
    return None


def media_type(response: Response) -> str | None:
    """The response's media type without parameters, lower-cased; None without a Content-Type."""
    value = response.headers.get("content-type")
    return value.split(";")[0].strip().lower() if value else None


def _media_matches(actual: str, documented_type: str) -> bool:
    expected = documented_type.split(";")[0].strip().lower()
    if expected in ("*/*", actual):
        return True
    major, _, minor = expected.partition("/")
    return minor == "*" and actual.startswith(major + "/")


class _TooDeep(ValueError):
    """A JSON body nested more than ``MAX_DEPTH`` levels deep: it is not read, so it cannot be judged."""


def _strict_json(body: bytes) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=refuse)
    except RecursionError:
        raise _TooDeep from None
    # A fixed limit, not Python's recursion limit: the same body gets the same outcome wherever the harness runs,
    # and the validator, which recurses, never meets a body deeper than it can walk.
    if _deeper_than(data, MAX_DEPTH):
        raise _TooDeep
    return data


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, Mapping) else node if isinstance(node, list) else None
        if children is None:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


def _too_deep(run: OperationRun, aspect: str, response: Response, lang: str) -> None:
    run.unjudged.setdefault(aspect, say(lang, "inconclusive.too_deep", status=response.status, limit=MAX_DEPTH))


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, Mapping):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def judge_response(spec: Spec, run: OperationRun, case: Case, response: Response, lang: str, *,
                   acceptance: bool = True) -> None:
    """Judge one answer on every aspect (``acceptance``: also whether the case should have been accepted)."""
    op, status = run.operation, response.status
    run.statuses[status] += 1
    if run.sample is None and 200 <= status < 300:
        run.sample = response.exchange.to_json()
    run.judged["server-error"] += 1
    if status >= 500:
        run.see("server-error", f"status {status}", say(lang, "fail.server_error", status=status,
                                                         case=case.broken or case.kind), response, case)
    actual = media_type(response)
    if status >= 500:  # a server error is judged once, by the server-error aspect, not again as a contract breach
        _judge_problem(run, case, response, actual, lang)
        return
    found = documented(op, status)
    run.judged["undocumented-status"] += 1
    if found is None:
        run.see("undocumented-status", f"status {status}", say(
            lang, "fail.undocumented_status", status=status, documented=", ".join(op.responses)), response, case)
    if not acceptance:
        pass
    elif case.kind == "negative":
        run.judged["accepted-negative"] += 1
        if 200 <= status < 300:
            run.see("accepted-negative", case.broken or "", say(lang, "fail.accepted_negative", status=status,
                                                                 broken=case.broken), response, case)
    elif 400 <= status < 500:
        run.judged["refused-positive"] += 1
        allowed = status in STATEFUL_STATUSES or (status == 400 and (case.server_values or case.raw_string_body))
        if not allowed:
            run.see("refused-positive", f"status {status}", say(lang, "fail.refused_positive", status=status),
                    response, case)
    else:
        run.judged["refused-positive"] += 1
    if status >= 400:
        _judge_problem(run, case, response, actual, lang)
    if found is not None:
        _judge_content(spec, run, case, response, found, actual, lang)
    if actual and is_json_media(actual):
        try:
            data = _strict_json(response.body)
        except _TooDeep:
            _too_deep(run, "nfc", response, lang)
            return
        except (ValueError, UnicodeDecodeError):
            return
        run.judged["nfc"] += 1
        for text in _strings(data):
            if not unicodedata.is_normalized("NFC", text):
                run.see("nfc", "not NFC", say(lang, "fail.not_nfc", text=text[:80]), response, case)
                break


def _judge_problem(run: OperationRun, case: Case, response: Response, actual: str | None, lang: str) -> None:
    run.judged["problem-type"] += 1
    if actual != "application/problem+json":
        run.see("problem-type", f"status {response.status}: {actual}", say(
            lang, "fail.problem_type", status=response.status, media=actual or "-"), response, case)
        return
    try:
        data = _strict_json(response.body)
    except _TooDeep:
        _too_deep(run, "problem-members", response, lang)
        return
    except (ValueError, UnicodeDecodeError):
        data = None
    run.judged["problem-members"] += 1
    missing = [m for m in ("type", "title", "status") if not isinstance(data, Mapping) or m not in data]
    if missing:
        run.see("problem-members", f"missing {','.join(missing)}", say(
            lang, "fail.problem_members", status=response.status, missing=", ".join(missing)), response, case)


def _judge_content(spec: Spec, run: OperationRun, case: Case, response: Response,
                   found: tuple[str, Mapping[str, Any]], actual: str | None, lang: str) -> None:
    key, documented_response = found
    content: Mapping[str, Any] = documented_response.get("content") or {}
    run.judged["content-type"] += 1
    if content:
        match = next((m for m in content if actual and _media_matches(actual, m)), None)
        if match is None:
            run.see("content-type", f"status {response.status}: {actual}", say(
                lang, "fail.content_type", status=response.status, media=actual or "-",
                documented=", ".join(content)), response, case)
            return
        pointer = f"{run.operation.response_pointers[key]}/content/{match.replace('~', '~0').replace('/', '~1')}/schema"
        if "schema" in content[match] and is_json_media(match):
            _judge_body(spec, run, case, response, pointer, lang)
    elif response.body:
        run.see("content-type", f"status {response.status}: body", say(
            lang, "fail.undocumented_body", status=response.status, media=actual or "-"), response, case)
    _judge_headers(spec, run, case, response, documented_response, lang)


def _judge_body(spec: Spec, run: OperationRun, case: Case, response: Response, pointer: str, lang: str) -> None:
    # The whole body is judged: only its excerpt in the evidence is cut (exchange.response_body_truncated).
    try:
        data = _strict_json(response.body)
    except _TooDeep:
        _too_deep(run, "body-schema", response, lang)
        return
    except (ValueError, UnicodeDecodeError) as exc:
        run.judged["body-schema"] += 1
        run.see("body-schema", "not JSON", say(lang, "fail.not_json", status=response.status, problem=str(exc)[:200]),
                response, case)
        return
    run.judged["body-schema"] += 1
    error = jsonschema.exceptions.best_match(spec.validator(pointer).iter_errors(data))
    if error is not None:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        run.see("body-schema", f"{where}: {error.validator}", say(
            lang, "fail.body_schema", status=response.status, where=where, problem=error.message[:300]), response, case)


def _judge_headers(spec: Spec, run: OperationRun, case: Case, response: Response,
                   documented_response: Mapping[str, Any], lang: str) -> None:
    for name, header in (documented_response.get("headers") or {}).items():
        header = spec.resolve(header)
        if not isinstance(header, Mapping) or name.lower() == "content-type":
            continue
        run.judged["headers"] += 1
        value = response.headers.get(name)
        if value is None:
            if header.get("required"):
                run.see("headers", f"missing {name}", say(lang, "fail.header_missing", name=name,
                                                          status=response.status), response, case)
            continue
        schema = spec.resolve(header.get("schema") or {})
        kinds = schema.get("type") if isinstance(schema, Mapping) else None
        read: Any = value
        if kinds in ("integer", "number"):
            try:
                read = int(value) if kinds == "integer" else float(value)
            except ValueError:
                read = value
        validator = jsonschema.Draft202012Validator(schema, format_checker=_FORMATS)
        if isinstance(schema, Mapping) and "$ref" not in schema and not validator.is_valid(read):
            run.see("headers", f"invalid {name}", say(lang, "fail.header_invalid", name=name, value=value[:100],
                                                      status=response.status), response, case)


async def _send(client: HardenedClient, case: Case) -> Response:
    return await client.request(case.operation.method.upper(), case.path(), params=case.query(),
                                headers=case.headers(), content=case.content())


def _roundtrip_case(spec: Spec, base: Case) -> tuple[Case, str] | None:
    """``base`` with one free-text JSON string field set to a Vietnamese NFC text (API-12), if it has one."""
    if not (base.has_body and base.media_type and is_json_media(base.media_type) and isinstance(base.body, dict)):
        return None
    choice = next(at for m, at in base.operation.body_media.items() if m == base.media_type)
    schema = spec.resolve(spec.schema_at(choice))
    validator = spec.validator(choice)
    for name, sub in (schema.get("properties") or {}).items():
        sub = spec.resolve(sub)
        if not isinstance(sub, Mapping) or sub.get("type") != "string" or any(
                k in sub for k in ("pattern", "format", "enum", "const")):
            continue
        text = VIETNAMESE[: int(sub.get("maxLength", len(VIETNAMESE)))]
        body = {**base.body, name: text}
        if validator.is_valid(body):
            return replace(base, body=body, broken=None), text
    return None


def _came_back(sent: str, response: Response) -> str | None:
    text = response.body.decode("utf-8", "replace")
    if json.dumps(sent, ensure_ascii=False)[1:-1] in text or sent in text:
        return "intact"
    if unicodedata.normalize("NFD", sent) in text:
        return "NFD"
    mojibake = sent.encode("utf-8").decode("latin-1")
    if mojibake in text or json.dumps(mojibake)[1:-1] in text:
        return "mojibake"
    return None


async def exercise(ctx: LiveContext, spec: Spec, operation: Operation, client: HardenedClient,
                   anonymous: HardenedClient, forged: HardenedClient) -> OperationRun:
    """Send the operation's generated cases (and the credential probes) and judge every answer."""
    seed = ctx.seed_for(operation.label)
    run = OperationRun(operation, seed)
    try:
        positives = positive_cases(spec, operation, ctx.max_examples, seed)
    except GenerationProblem as exc:
        run.problem = str(exc)
        return run
    probe = positives[0] if positives else None
    roundtrip = _roundtrip_case(spec, probe) if probe else None

    async def one(case: Case, sender: HardenedClient, kind: str) -> tuple[Case, str, Response | None]:
        try:
            return case, kind, await _send(sender, case)
        except HttpFailure as exc:
            run.transport.append(f"{case.kind}: {exc}")
            return case, kind, None

    calls = [functools.partial(one, c, client, c.kind) for c in positives]
    if roundtrip is not None:
        calls.append(functools.partial(one, roundtrip[0], client, "roundtrip"))
    if operation.secured and probe is not None:
        calls += [functools.partial(one, probe, anonymous, "no-credentials"),
                  functools.partial(one, probe, forged, "invalid-credentials")]
    accepted = []
    async for case, kind, response in _in_order(calls, ctx.concurrency):
        _judge_exchange(spec, run, case, kind, response, roundtrip, ctx.lang)
        if kind == "positive" and response is not None and 200 <= response.status < 300:
            accepted.append(case)
    # Negatives start from positives the system accepted, so a refusal can only be for the broken constraint.
    negatives = negative_cases(spec, operation, accepted or positives, ctx.max_examples, seed)
    async for case, kind, response in _in_order([functools.partial(one, c, client, c.kind) for c in negatives],
                                                ctx.concurrency):
        _judge_exchange(spec, run, case, kind, response, roundtrip, ctx.lang)
    return run


async def _in_order(calls: Sequence[Callable[[], Coroutine[Any, Any, T]]], width: int) -> AsyncIterator[T]:
    """Run ``calls``, at most ``width`` at a time, and yield their results in the calls' order.

    The caller judges each answer and drops it before another call starts, so at most ``width`` response
    bodies are held whatever the case budget (gathering them all held ``max_examples`` bodies of up to
    ``max_response_bytes`` each), and answers are judged, and their evidence kept, in the cases' order.
    """
    running: deque[asyncio.Task[T]] = deque()
    try:
        for call in calls:
            running.append(asyncio.create_task(call()))
            if len(running) >= width:
                yield await running.popleft()
        while running:
            yield await running.popleft()
    finally:
        for task in running:
            task.cancel()


def _judge_exchange(spec: Spec, run: OperationRun, case: Case, kind: str, response: Response | None,
                    roundtrip: tuple[Case, str] | None, lang: str) -> None:
    run.sent[kind] += 1
    if response is None:
        return
    if kind in ("no-credentials", "invalid-credentials"):
        run.judged["auth"] += 1
        if response.status not in (401, 403):
            run.see("auth", kind, say(lang, f"fail.auth_{kind.replace('-', '_')}", status=response.status),
                    response, case)
        # The refusal is an answer like any other: its status, content type, body and headers are judged too.
        judge_response(spec, run, case, response, lang, acceptance=False)
        return
    judge_response(spec, run, case, response, lang)
    if kind == "roundtrip" and roundtrip is not None:
        run.roundtrip = _came_back(roundtrip[1], response) if 200 <= response.status < 300 else None
        if run.roundtrip not in (None, "intact"):
            run.see("nfc", "round trip", say(lang, "fail.roundtrip", how=run.roundtrip), response, case)


def forged_token(real: str | None) -> str:
    """A token of the same shape as a real one (length, alphabet) that no server issued."""
    length = len(real) if real else 43
    return (secrets.token_urlsafe(length) + "A" * length)[:length]


async def probe_methods(ctx: LiveContext, spec: Spec, client: HardenedClient) -> list[tuple[str, Judgement]]:
    """API-10: an undocumented method on each documented path gets 405 with a correct ``Allow``."""
    verdicts = []
    by_path: dict[str, set[str]] = {}
    for op in spec.operations:
        by_path.setdefault(op.path, set()).add(op.method.upper())
    for path, methods in sorted(by_path.items()):
        spare = next((m for m in ("DELETE", "PATCH", "PUT", "POST", "GET") if m not in methods), None)
        if spare is None:
            verdicts.append((path, not_applicable(say(ctx.lang, "na.every_method", path=path))))
            continue
        concrete = Case(next(op for op in spec.operations if op.path == path), "positive",
                        {("path", p.name): "conformance-probe" for op in spec.operations if op.path == path
                         for p in op.parameters if p.location == "path"})
        try:
            response = await client.request(spare, concrete.path())
        except HttpFailure as exc:
            verdicts.append((path, inconclusive(str(exc), exchange=exc.exchange.to_json() if exc.exchange else None)))
            continue
        evidence = {"method": spare, "documented": sorted(methods), "exchange": response.exchange.to_json()}
        allow = {m.strip().upper() for m in response.headers.get("allow", "").split(",") if m.strip()}
        tolerated = methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        if response.status != 405:
            verdicts.append((path, failed(say(ctx.lang, "fail.method_status", method=spare, status=response.status),
                                          **evidence)))
        elif not allow or not methods <= allow or not allow <= tolerated:
            verdicts.append((path, failed(say(ctx.lang, "fail.method_allow", method=spare,
                                              allow=", ".join(sorted(allow)) or "-",
                                              documented=", ".join(sorted(methods))), **evidence)))
        else:
            verdicts.append((path, passed(say(ctx.lang, "pass.method", method=spare, allow=", ".join(sorted(allow))),
                                          **evidence)))
    return verdicts


def _link_value(expression: str, response: Response, case: Case) -> Any:
    """The value of a runtime expression (``$response.body#/ptr``, ``$response.header.X``, ``$request.path.x``)."""
    if expression.startswith("$response.body#"):
        node: Any = _strict_json(response.body)
        for part in filter(None, expression[len("$response.body#"):].split("/")):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                raise KeyError(expression)
        return node
    if expression.startswith("$response.header."):
        value = response.headers.get(expression[len("$response.header."):])
        if value is None:
            raise KeyError(expression)
        return value
    for where in ("path", "query", "header"):
        prefix = f"$request.{where}."
        if expression.startswith(prefix):
            return case.values[(where, expression[len(prefix):])]
    raise KeyError(expression)


async def follow_links(ctx: LiveContext, spec: Spec, client: HardenedClient,
                       attempts: int = 10) -> list[tuple[str, Judgement]]:
    """API-13: for each link, get a response that carries the value, call the linked operation with it."""
    verdicts = []
    for source in spec.operations:
        for link in source.links:
            verdicts.append((f"{source.label} → {link.name}",
                             await _follow(ctx, spec, client, source, link, attempts)))
    return verdicts


async def _follow(ctx: LiveContext, spec: Spec, client: HardenedClient, source: Operation, link: Link,
                  attempts: int) -> Judgement:
    target = spec.by_id(link.target)
    if target is None:
        return failed(say(ctx.lang, "fail.link_target", link=link.name, target=link.target))
    try:
        sources = positive_cases(spec, source, attempts, ctx.seed_for(f"link {source.label} {link.name}"))
        targets = positive_cases(spec, target, 1, ctx.seed_for(f"link target {target.label}"))
    except GenerationProblem as exc:
        return inconclusive(str(exc))
    tried = []
    for case in sources:
        try:
            response = await _send(client, case)
        except HttpFailure as exc:
            tried.append(str(exc))
            continue
        tried.append(str(response.status))
        wanted = link.status
        if not (response.status == int(wanted) if wanted.isdigit() else 200 <= response.status < 300):
            continue
        try:
            values = {name: _link_value(expr, response, case) for name, expr in link.parameters.items()}
        except (KeyError, ValueError, UnicodeDecodeError):
            continue
        located = {(p.location, p.name): values[p.name] for p in target.parameters if p.name in values}
        base = targets[0] if targets else Case(target, "positive", {})
        follow = replace(base, values={**base.values, **located})
        try:
            answer = await _send(client, follow)
        except HttpFailure as exc:
            return inconclusive(str(exc), source=response.exchange.to_json())
        evidence = {"source": response.exchange.to_json(), "followed": answer.exchange.to_json(),
                    "values": {k: str(v)[:200] for k, v in values.items()}}
        if 200 <= answer.status < 300:
            return passed(say(ctx.lang, "pass.link", link=link.name, target=target.label, status=answer.status),
                          **evidence)
        return failed(say(ctx.lang, "fail.link", link=link.name, target=target.label, status=answer.status),
                      **evidence)
    return inconclusive(say(ctx.lang, "inconclusive.link", link=link.name, source=source.label,
                            attempts=len(tried), statuses=", ".join(tried[:10]) or "-"))
