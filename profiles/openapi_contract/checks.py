"""The openapi-contract profile: a live service judged against its own OpenAPI document (API-01…13)."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.live import LiveChecks, LiveContext, Scenario

from .plan import AspectMap, document_scenario, load_document, operation_scenarios, unusable_scenario

live = LiveChecks("openapi-contract")

MAPPING = AspectMap(
    server_error="API-02", status="API-03", content_type="API-04", body="API-05", headers="API-06",
    negative="API-07", positive="API-08", auth="API-09", methods="API-10", problem="API-11", roundtrip="API-12",
    links="API-13",
)
_ALL = ("API-01", *MAPPING.operation_ids(), "API-10", "API-13")


@live.planner(*_ALL)
def plan(ctx: LiveContext) -> Iterator[Scenario]:
    """The document scenario (API-01), then one scenario per operation, the methods probe and the links."""
    document, problem, evidence, invalid = load_document(ctx)
    scenario, spec = document_scenario("API-01", document, problem, evidence, invalid=invalid)
    yield scenario
    if spec is None:
        yield unusable_scenario(tuple(rid for rid in _ALL if rid != "API-01"), problem or scenario.subject)
        return
    yield from operation_scenarios(spec, MAPPING)
