"""The hold floor's SQL and bench.booking_race's side-by-side report (no servers needed)."""

from __future__ import annotations

import math

import pytest

from backend.adapters.postgres.statements import psycopg_conninfo
from bench.booking_floor import upsert_sql
from bench.booking_race import Outcome, aims, ratio, table, verdict


def _outcome(wins: int, conflicts: int, seconds: float, cpu_s: float, p99_ms: float) -> Outcome:
    statuses = [201] * wins + [409] * conflicts
    return Outcome(statuses, [p99_ms] * len(statuses), seconds, server_cpu_s=cpu_s)


def test_the_upsert_is_the_fenced_one_with_a_row_per_night() -> None:
    sql = upsert_sql(3)
    assert sql.count("(%s, %s, %s, 1)") == 3
    assert (
        "ON CONFLICT (room_type_id, night) DO UPDATE SET reserved = room_inventory.reserved + 1"
        in sql
    )
    assert sql.endswith("WHERE room_inventory.reserved < room_inventory.total RETURNING night")
    with pytest.raises(ValueError):
        upsert_sql(0)


def test_conninfo_drops_the_sqlalchemy_driver() -> None:
    url = "postgresql+psycopg://u:p@127.0.0.1:55732/db?application_name=x"
    assert psycopg_conninfo(url) == "postgresql://u:p@127.0.0.1:55732/db?application_name=x"


def test_ratio_is_nan_rather_than_a_crash() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 1.0))


def test_aims_pass_exactly_at_their_thresholds() -> None:
    # app: 60 holds/s vs the floor's 100 (60%), 1.5 ms of CPU per hold, p99 150 vs 100 ms.
    distinct = [_outcome(600, 0, 10.0, 0.9, 50), _outcome(1000, 0, 10.0, 0.5, 20)]
    hot = [_outcome(1, 199, 1.0, 0.4, 150), _outcome(1, 199, 1.0, 0.3, 100)]
    verdicts = aims(distinct, hot, clients=200)
    assert [ok for ok, _ in verdicts] == [True, True, True, True]
    assert "60% of the floor's 100" in verdicts[0][1]
    assert "1.50 ms" in verdicts[1][1]


def test_aims_miss_on_a_slow_app_and_on_a_second_winner() -> None:
    distinct = [_outcome(590, 0, 10.0, 1.0, 50), _outcome(1000, 0, 10.0, 0.5, 20)]
    hot = [_outcome(2, 198, 1.0, 0.4, 151), _outcome(1, 199, 1.0, 0.3, 100)]
    verdicts = aims(distinct, hot, clients=200)
    assert [ok for ok, _ in verdicts] == [False, False, False, False]
    assert verdict(False, verdicts[2][1]).startswith("MISS  hot room, app: 2x201 198x409")
    assert verdict(True, "x") == "PASS  x"


def test_the_table_puts_the_ratio_of_app_to_floor_last() -> None:
    text = table("t", ["app", "floor"], [("counts", ["1/2/0", "1/2/0"]), ("p99", [300.0, 200.0])])
    head, counts, p99 = text.splitlines()
    assert head.split()[-3:] == ["app", "floor", "app/floor"]
    assert counts.split()[-2:] == ["1/2/0", "1/2/0"]  # no ratio of strings
    assert p99.split()[-3:] == ["300", "200", "1.50"]
