"""Scale mode: as many findings and events as asked, the same every time, unchanging while it runs."""

from tools.sandbox.checks import resource_id
from tools.sandbox.scale import _IDENTITY_HEADINGS, scale
from tools.sandbox.scenario import Clock

from .helpers import EPOCH, Live


def _benchmark_world():
    return scale(Clock(EPOCH, 30), accounts=50, resources=10_000, events=1000)


def test_benchmark_world_has_the_asked_numbers_spread_over_every_account():
    world = _benchmark_world()
    assert len(world.accounts) == 50
    assert sum(len(f) for f in world.findings.values()) == 10_000
    assert sum(len(e) for e in world.events.values()) == 1000
    assert {len(f) for f in world.findings.values()} == {200}
    assert {len(e) for e in world.events.values()} == {20}
    resource_ids = {resource_id(a, f) for a, findings in world.findings.items() for f in findings}
    arns = {e.arn for events in world.events.values() for e in events}
    assert (len(resource_ids), len(arns)) == (10_000, 1000)  # no two alike
    states = {e.state(world.clock, 0).status for events in world.events.values() for e in events}
    assert states == {"open", "upcoming"}  # what a first poll asks for: it reads all 1,000


def test_every_copy_is_a_resource_of_its_own_in_its_account():
    # A poll keeps one finding per check and identifying columns: copies alike there would count as one
    world = _benchmark_world()
    for findings in world.findings.values():
        names = {
            (f.check_id, tuple(sorted((h, v) for h, v in f.metadata.items() if h in _IDENTITY_HEADINGS)))
            for f in findings
        }
        assert len(names) == len(findings) == 200
        assert all(name for _, name in names)


def test_same_arguments_build_the_same_world():
    assert _benchmark_world() == _benchmark_world()


def test_a_re_poll_reads_exactly_what_the_first_poll_read():
    live = Live(scale(Clock(EPOCH, 30), accounts=3, resources=60, events=30))
    try:
        account = next(iter(live.world.accounts))
        support, advisor = live.client("support", account), live.client("trustedadvisor", account)
        health = live.client("health", account)
        checks = [c["id"] for c in support.describe_trusted_advisor_checks(language="en")["checks"]]

        def poll() -> tuple[list, list, list]:
            results = [support.describe_trusted_advisor_check_result(checkId=c)["result"] for c in checks]
            recommendations = advisor.list_recommendations()["recommendationSummaries"]
            resources = [
                r
                for recommendation in recommendations
                for r in advisor.list_recommendation_resources(recommendationIdentifier=recommendation["arn"])[
                    "recommendationResourceSummaries"
                ]
            ]
            pages = health.get_paginator("describe_events_for_organization").paginate()
            return results, resources, [e for page in pages for e in page["events"]]

        first = poll()
        live.at_step(1000)
        assert poll() == first
        assert sum(r["resourcesSummary"]["resourcesFlagged"] for r in first[0]) == len(first[1]) == 20
        assert len(first[2]) == 30
    finally:
        live.close()
