"""The crisis bench's arithmetic: timestamps, hops and nearest-rank percentiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bench.crisis_hops import HOPS, Stamps, epoch, nearest_rank, summary

BASE = datetime(2026, 11, 24, 9, 46, 16, 291000, tzinfo=UTC).timestamp()


def test_epoch_reads_the_items_stamps_and_aware_datetimes_alike() -> None:
    # Given a utc_iso stamp, the same instant at another offset, and a boto3 datetime
    stamp = "2026-11-24T09:46:16.291Z"
    shanghai = datetime(2026, 11, 24, 17, 46, 16, 291000, tzinfo=timezone(timedelta(hours=8)))

    # Then they are one instant
    assert epoch(stamp) == epoch("2026-11-24T09:46:16.291+00:00") == epoch(shanghai) == BASE


def test_epoch_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="without a zone"):
        epoch(datetime(2026, 11, 24, 9, 46))


def stamps(*offsets: float) -> Stamps:
    answered, checkin, case, started, queued, exited, seen = (BASE + o for o in offsets)
    return Stamps(answered, checkin, case, started, queued, exited, seen)


def test_the_hops_chain_from_the_check_in_to_the_entry_seen() -> None:
    # Given a run: answered 0.05 s after the check-in's stamp, seen at 0.65 s
    run = stamps(0.05, 0.0, 0.15, 0.17, 0.4, 0.45, 0.65)

    # When it is reported
    data = run.to_json()

    # Then each hop runs from one stamp to the next, the Notify exit stands beside them,
    assert data == {
        "total_s": 0.6,
        "stream_to_intake_s": 0.15,
        "intake_to_execution_s": 0.02,
        "execution_to_notify_s": 0.23,
        "queue_to_inbox_s": 0.25,
        "notify_exited_s": 0.28,
        "answer_after_checkin_s": 0.05,
    }
    # and the hops add up to the total and the check-in's answer
    assert sum(data[f"{hop}_s"] for hop in HOPS) == pytest.approx(
        data["total_s"] + data["answer_after_checkin_s"]
    )


def test_nearest_rank_of_twenty_samples() -> None:
    values = [float(n) for n in range(20, 0, -1)]  # 20 .. 1, unsorted

    # p50 is the 10th smallest, p99 the largest
    assert nearest_rank(values, 50) == 10.0
    assert nearest_rank(values, 99) == 20.0
    assert nearest_rank(values, 0) == 1.0
    assert nearest_rank([3.0], 99) == 3.0
    with pytest.raises(ValueError):
        nearest_rank([], 50)


def test_summary_gives_p50_and_p99_of_the_total_and_each_hop() -> None:
    runs = [stamps(0.05, 0.0, 0.1, 0.11, 0.3, 0.32, 0.4 + n / 100).to_json() for n in range(20)]

    result = summary(runs)

    assert set(result) == {"total_s", *(f"{hop}_s" for hop in HOPS), "notify_exited_s"}
    assert result["total_s"] == {"p50": pytest.approx(0.44), "p99": pytest.approx(0.54)}
    assert result["stream_to_intake_s"] == {"p50": 0.1, "p99": 0.1}
