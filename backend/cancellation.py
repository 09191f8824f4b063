"""Cancellation policies as rules a guest can read: the one home of their arithmetic.

A rule refunds everything until its deadline before check-in, then a stated share: flexible is
free until 48 hours before check-in and refunds 50% after, moderate is free until 7 days before
and refunds 25% after, strict refunds nothing. Check-in is `stay_time.CHECK_IN_TIME` on the
check-in date in the hotel's zone, so every deadline is a precise instant:

- hours count elapsed time (48 h before is 48 real hours, across a DST change too);
- days count calendar days at the check-in time (7 days before 15:00 is 15:00 a week earlier on
  the hotel's clock, whatever its offset was then).

Pure functions over Decimal: the quote (GET /api/bookings/{id}/cancellation-quote), the refund the
saga issues on cancel, and every page's wording all come from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from backend.models import CancellationPolicy
from backend.stay_time import CHECK_IN_TIME, at_hotel, check_in_at, hotel_clock_text

CENT = Decimal("0.01")
FULL = Decimal("1")
NONE = Decimal("0")


@dataclass(frozen=True)
class Rule:
    policy: CancellationPolicy
    free_hours: int = 0  # free until this many elapsed hours before check-in...
    free_days: int = 0  # ...or this many calendar days before it (one of the two, or neither)
    late_share: Decimal = NONE  # refunded after the deadline

    @property
    def has_free_period(self) -> bool:
        return bool(self.free_hours or self.free_days)

    def summary(self) -> str:
        late = (
            f"{percent(self.late_share)}% refund after that"
            if self.late_share
            else ("no refund after that")
        )
        if self.free_hours:
            return f"Free cancellation until {self.free_hours} hours before check-in, {late}."
        if self.free_days:
            return f"Free cancellation until {self.free_days} days before check-in, {late}."
        return "Non-refundable: no refund when cancelled."


RULES = {
    CancellationPolicy.FLEXIBLE: Rule(CancellationPolicy.FLEXIBLE, free_hours=48, late_share=Decimal("0.5")),
    CancellationPolicy.MODERATE: Rule(CancellationPolicy.MODERATE, free_days=7, late_share=Decimal("0.25")),
    CancellationPolicy.STRICT: Rule(CancellationPolicy.STRICT),
}  # fmt: skip


def rule_for(policy: str) -> Rule:
    """The rule of a stored policy name; an unknown one is treated as strict (refunds nothing)."""
    try:
        return RULES[CancellationPolicy(policy)]
    except ValueError:
        return RULES[CancellationPolicy.STRICT]


def free_until(rule: Rule, check_in: date, timezone: str) -> datetime | None:
    """The last instant (UTC) of free cancellation; None for a rule without a free period."""
    if rule.free_hours:
        return check_in_at(check_in, timezone) - timedelta(hours=rule.free_hours)
    if rule.free_days:
        return at_hotel(check_in - timedelta(days=rule.free_days), CHECK_IN_TIME, timezone)
    return None


def refund_share(rule: Rule, check_in: date, timezone: str, now: datetime) -> Decimal:
    """The share of what was paid refunded when cancelled at `now`: free before the deadline."""
    deadline = free_until(rule, check_in, timezone)
    if deadline is not None and now < deadline:
        return FULL
    return rule.late_share


def refund_amount(paid: Decimal, share: Decimal) -> Decimal:
    return (paid * share).quantize(CENT, rounding=ROUND_HALF_EVEN)


def percent(share: Decimal) -> int:
    return int(share * 100)


def deadline_text(rule: Rule, check_in: date, timezone: str) -> str:
    """The rule with its deadline on the hotel's clock, for a guest about to book or cancel."""
    deadline = free_until(rule, check_in, timezone)
    if deadline is None:
        return rule.summary()
    after = f"then {percent(rule.late_share)}% refund" if rule.late_share else "then no refund"
    return f"Free cancellation until {hotel_clock_text(deadline, timezone)}, {after}."
