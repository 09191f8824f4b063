"""The stay a guest is looking at (dates + guests): defaults, parsing from and writing to the URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import reflex as rx

from app.format import parse_date, parse_int

DEFAULT_LEAD_DAYS = 14
DEFAULT_NIGHTS = 2
DEFAULT_GUESTS = 2
MAX_GUESTS = 8
MAX_NIGHTS = 30


@dataclass(frozen=True)
class StayParams:
    check_in: date
    check_out: date
    guests: int

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    @classmethod
    def default(cls, today: date) -> StayParams:
        check_in = today + timedelta(days=DEFAULT_LEAD_DAYS)
        return cls(check_in, check_in + timedelta(days=DEFAULT_NIGHTS), DEFAULT_GUESTS)

    @classmethod
    def from_query(
        cls, query: Mapping[str, str], today: date, earliest: date | None = None
    ) -> StayParams:
        """Dates and guests from the URL; anything missing or impossible falls back to defaults
        (counted from `today`). A check-in from `earliest` on is kept (default: `today`): the
        earliest hotel's "today" (stay_time.earliest_today), as the hotel's clock decides."""
        default = cls.default(today)
        check_in = parse_date(query.get("check_in"))
        if check_in is None or check_in < (earliest or today):
            check_in = default.check_in
        check_out = parse_date(query.get("check_out"))
        if check_out is None or not 0 < (check_out - check_in).days <= MAX_NIGHTS:
            check_out = check_in + timedelta(days=DEFAULT_NIGHTS)
        guests = parse_int(query.get("guests"))
        if guests is None or not 1 <= guests <= MAX_GUESTS:
            guests = DEFAULT_GUESTS
        return cls(check_in, check_out, guests)

    def with_check_in(self, check_in: date) -> StayParams:
        """Moving the arrival keeps the number of nights."""
        return StayParams(check_in, check_in + timedelta(days=self.nights), self.guests)

    def with_check_out(self, check_out: date) -> StayParams:
        if check_out <= self.check_in:
            check_out = self.check_in + timedelta(days=1)
        if (check_out - self.check_in).days > MAX_NIGHTS:
            check_out = self.check_in + timedelta(days=MAX_NIGHTS)
        return StayParams(self.check_in, check_out, self.guests)

    def query(self) -> dict[str, str]:
        return {
            "check_in": self.check_in.isoformat(),
            "check_out": self.check_out.isoformat(),
            "guests": str(self.guests),
        }


class StayVars(rx.State, mixin=True):
    """A page's stay as state: ISO dates (what the date inputs show) and guests."""

    check_in: str = ""
    check_out: str = ""
    guests: int = DEFAULT_GUESTS
    today: str = ""

    @rx.var
    def min_check_out(self) -> str:
        day = parse_date(self.check_in)
        return (day + timedelta(days=1)).isoformat() if day else self.today

    def _stay(self) -> StayParams:
        return StayParams(
            date.fromisoformat(self.check_in), date.fromisoformat(self.check_out), self.guests
        )

    def _set_stay(self, stay: StayParams) -> None:
        self.check_in = stay.check_in.isoformat()
        self.check_out = stay.check_out.isoformat()
        self.guests = stay.guests
