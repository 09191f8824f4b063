"""The cancellation rules' arithmetic: deadlines on the hotel's clock, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.cancellation import (
    RULES,
    deadline_text,
    free_until,
    refund_amount,
    refund_share,
    rule_for,
)
from backend.errors import InvalidInput
from backend.models import CancellationPolicy
from backend.stay_time import check_in_at, check_timezone, earliest_today, local_today

FLEXIBLE = RULES[CancellationPolicy.FLEXIBLE]
MODERATE = RULES[CancellationPolicy.MODERATE]
STRICT = RULES[CancellationPolicy.STRICT]
BERLIN = "Europe/Berlin"
# Europe/Berlin springs forward on 2027-03-28 (02:00 -> 03:00) and falls back on 2027-10-31.
SPRING = date(2027, 3, 28)
AUTUMN = date(2027, 10, 31)


def test_check_in_is_15_00_on_the_hotels_clock() -> None:
    assert check_in_at(date(2027, 1, 10), "Pacific/Auckland") == datetime(
        2027, 1, 10, 2, 0, tzinfo=UTC
    )  # NZDT, UTC+13
    assert check_in_at(date(2027, 1, 10), "America/Los_Angeles") == datetime(
        2027, 1, 10, 23, 0, tzinfo=UTC
    )  # PST, UTC-8


def test_flexible_counts_48_real_hours_across_the_spring_change() -> None:
    # Check-in 15:00 CEST on 29 March; 48 h before is 14:00 CET on 27 March (a 23-hour day).
    deadline = free_until(FLEXIBLE, SPRING + timedelta(days=1), BERLIN)
    assert deadline == datetime(2027, 3, 27, 13, 0, tzinfo=UTC)
    assert deadline.astimezone(ZoneInfo(BERLIN)).hour == 14
    assert check_in_at(SPRING + timedelta(days=1), BERLIN) - deadline == timedelta(hours=48)


def test_moderate_counts_calendar_days_at_check_in_time_across_the_autumn_change() -> None:
    # Check-in 15:00 CET on 3 November; 7 days before is 15:00 CEST on 27 October.
    deadline = free_until(MODERATE, date(2027, 11, 3), BERLIN)
    assert deadline == datetime(2027, 10, 27, 13, 0, tzinfo=UTC)
    assert deadline.astimezone(ZoneInfo(BERLIN)).hour == 15
    # Seven days plus the extra hour of 31 October.
    assert check_in_at(date(2027, 11, 3), BERLIN) - deadline == timedelta(days=7, hours=1)


def test_share_is_full_before_the_deadline_and_the_stated_share_from_it() -> None:
    check_in = date(2027, 6, 20)
    deadline = free_until(FLEXIBLE, check_in, BERLIN)
    assert deadline is not None
    assert refund_share(FLEXIBLE, check_in, BERLIN, deadline - timedelta(seconds=1)) == 1
    assert refund_share(FLEXIBLE, check_in, BERLIN, deadline) == Decimal("0.5")
    assert refund_share(MODERATE, check_in, BERLIN, deadline) == Decimal("0.25")
    assert refund_share(STRICT, check_in, BERLIN, datetime(2020, 1, 1, tzinfo=UTC)) == 0
    assert free_until(STRICT, check_in, BERLIN) is None


def test_amounts_are_exact_decimals_rounded_half_even_to_the_cent() -> None:
    assert refund_amount(Decimal("240.00"), Decimal("0.5")) == Decimal("120.00")
    assert refund_amount(Decimal("100.10"), Decimal("0.25")) == Decimal("25.02")  # 25.025
    assert refund_amount(Decimal("100.30"), Decimal("0.25")) == Decimal("25.08")  # 25.075
    assert refund_amount(Decimal("99.99"), Decimal("0")) == Decimal("0.00")


def test_rules_read_as_sentences_with_the_deadline_on_the_hotels_clock() -> None:
    assert FLEXIBLE.summary() == (
        "Free cancellation until 48 hours before check-in, 50% refund after that."
    )
    assert STRICT.summary() == "Non-refundable: no refund when cancelled."
    text = deadline_text(FLEXIBLE, date(2027, 1, 10), "Pacific/Auckland")
    assert text == "Free cancellation until 8 Jan 2027, 15:00 (Pacific/Auckland), then 50% refund."
    assert rule_for("no-such-policy") == STRICT


@given(
    policy=st.sampled_from([FLEXIBLE, MODERATE]),
    zone=st.sampled_from([BERLIN, "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]),
    check_in=st.dates(min_value=SPRING - timedelta(days=10), max_value=AUTUMN + timedelta(days=10)),
    seconds=st.integers(min_value=-3 * 86400, max_value=3 * 86400),
)
def test_the_share_changes_exactly_once_at_the_deadline(policy, zone, check_in, seconds) -> None:  # type: ignore[no-untyped-def]
    deadline = free_until(policy, check_in, zone)
    assert deadline is not None and deadline.tzinfo is not None
    now = deadline + timedelta(seconds=seconds)
    expected = 1 if now < deadline else policy.late_share
    assert refund_share(policy, check_in, zone, now) == expected
    # The deadline always falls at the check-in wall time (days) or 48 real hours before it.
    if policy.free_hours:
        assert check_in_at(check_in, zone) - deadline == timedelta(hours=48)
    else:
        assert deadline.astimezone(ZoneInfo(zone)).strftime("%H:%M") == "15:00"


def test_today_is_the_hotels_date() -> None:
    now = datetime(2027, 1, 10, 11, 30, tzinfo=UTC)  # 00:30 on the 11th in Auckland
    assert local_today("Pacific/Auckland", now) == date(2027, 1, 11)
    assert local_today("America/Los_Angeles", now) == date(2027, 1, 10)
    assert earliest_today(now) == date(2027, 1, 9)


def test_only_iana_zones_are_accepted() -> None:
    assert check_timezone("Pacific/Auckland") == "Pacific/Auckland"
    for bad in ("Mars/Olympus", "", "../etc/passwd", 42, "utc+2"):
        with pytest.raises(InvalidInput):
            check_timezone(bad)
