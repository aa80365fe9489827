"""`make cost`: the arithmetic of bench/cost.py and the prices it quotes."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from bench import cost
from bench.prices import PRICES, PRICES_AS_OF


def _deployment(**changes: object) -> cost.Deployment:
    base = cost.Deployment(
        api="REST",
        architecture="x86_64",
        default_memory=512,
        memory={},
        tracing=False,
        log_retention_days=30,
        kms_keys=0,
        secrets=0,
        alarms=0,
        schedules=[],
        polled_queues=[],
        topic_subscriptions=3,
        gsis={"CheckinsTable": 1},
        follow_up_days=4,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


NO_EXTRAS = cost.Assumptions(cold_fraction=0.0, revocation_reads_per_request=0.0)


def test_dynamodb_writes_cost_the_list_price() -> None:
    # 1,000 requests, each two writes to a table with no index: 2,000 WRU.
    calls = cost.Calls(_deployment(), NO_EXTRAS)
    m = cost.Meter()
    calls.operations(m, ["dynamodb.PutItem[idempotency]", "UpdateItem[idempotency]"], times=1000)
    assert m.q["dynamodb_wru"] == 2000
    assert cost.dollars(m, _deployment())["DynamoDB"] == pytest.approx(2000 * 0.625e-6)


def test_index_writes_transactions_and_reads() -> None:
    calls = cost.Calls(_deployment(), NO_EXTRAS)
    m = cost.Meter()
    calls.operations(m, ["UpdateItem[checkins]"])  # one GSI: 2 WRU
    calls.operations(m, ["dynamodb.TransactWriteItems"])  # 2 items x 2
    calls.operations(m, ["GetItem[accounts]", "Query[peer]"], items_read=40)  # 1 + 20 KB/4
    assert m.q["dynamodb_wru"] == 2 + 4
    assert m.q["dynamodb_rru"] == 1 + math.ceil(40 * NO_EXTRAS.item_kb / 4)


def test_one_api_request_adds_up() -> None:
    dep = _deployment()
    m = cost.Meter()
    cost.Calls(dep, NO_EXTRAS).api(m, "CheckinsFunction", ["dynamodb.PutItem[idempotency]"])
    d = cost.dollars(m, dep)
    assert d["API Gateway"] == pytest.approx(3.50e-6)
    gb_s = 0.5 * NO_EXTRAS.warm_ms / 1000
    assert d["Lambda"] == pytest.approx(0.20e-6 + gb_s * 0.0000166667)
    assert d["DynamoDB"] == pytest.approx(0.625e-6)
    http_arm = cost.dollars(m, replace(dep, api="HTTP", architecture="arm64"))
    assert http_arm["API Gateway"] == pytest.approx(1.00e-6)
    assert http_arm["Lambda"] == pytest.approx(0.20e-6 + gb_s * 0.0000133334)


def test_every_price_has_a_date_and_a_source() -> None:
    assert PRICES.items()
    for name, price in PRICES.items():
        assert price.usd > 0, name
        assert price.as_of == PRICES_AS_OF, name
        assert price.source.startswith("https://aws.amazon.com/"), name


def test_crisis_path_follows_the_state_machine() -> None:
    steps = cost.crisis_path(4)
    assert steps[0] == "Start" and steps[-1] == "Done"
    assert steps.count("SendFollowUp") == 4
    with pytest.raises(KeyError):
        cost.row_ops({"aws_calls": {"rows": []}}, "POST /checkins (fresh Idempotency-Key)")


def test_the_committed_results_give_a_bill() -> None:
    results = json.loads(cost.RESULTS.read_text(encoding="utf-8"))
    dep = cost.load_deployment()
    lines, data = cost.report(results, dep, "bench/results.json")
    assert data["per_1000_mam"] > 0
    assert any(line.startswith("$ per 1,000 monthly active members") for line in lines)
    labels = {s["switch"] for s in data["switches"]}
    assert "HTTP API instead of REST" in labels
    assert all(s["saves_month"] >= 0 for s in data["switches"])


def test_the_goal_verdict_and_the_deployment_sizes_follow_the_bill() -> None:
    results = json.loads(cost.RESULTS.read_text(encoding="utf-8"))
    lines, data = cost.report(results, cost.load_deployment(), "bench/results.json")
    verdict = "met" if data["per_1000_mam"] <= cost.GOAL_PER_1000 else "MISSED"
    assert data["goal_met"] is (verdict == "met")
    assert any(f"goal <= 1.00: {verdict})" in line for line in lines)
    sizes = data["by_deployment_size"]
    # the profile's own size gives the headline figure; no Cognito under the free tier
    assert sizes[0]["members"] == 2_000
    assert sizes[0]["per_1000_mam"] == pytest.approx(data["per_1000_mam"])
    assert sizes[0]["cognito_per_1000"] == 0
    # past 10,000 members each one above the free tier pays the pool's tier (Lite)
    assert cost.load_deployment().user_pool_tier == "LITE"
    fifty = sizes[-1]
    assert fifty["cognito_per_1000"] == pytest.approx(40_000 * 0.0055 / 50)
    assert fifty["per_1000_mam"] == pytest.approx(
        data["variable_per_1000_mam"] + data["fixed_month"] / 50 + fifty["cognito_per_1000"]
    )
