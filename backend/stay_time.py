"""Hotel local time: every "today", check-in and check-out is the hotel's, in its IANA zone.

A stay's dates are the hotel's calendar dates, so "is this check-in in the past" asks the hotel's
clock, not UTC's: at 00:30 in Auckland a same-day stay is fine although UTC is still on yesterday.
Check-in and check-out are fixed wall-clock times in the hotel's zone (the policy deadlines count
back from the check-in instant).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from backend.errors import InvalidInput

CHECK_IN_TIME = time(15, 0)  # from, hotel time
CHECK_OUT_TIME = time(11, 0)  # until, hotel time
DEFAULT_TIMEZONE = "UTC"
# The earliest civil date anywhere is UTC-12's (Baker Island): no hotel's "today" is before it.
EARLIEST_OFFSET = timedelta(hours=12)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The zone of a name validated on the way in; an unknown name falls back to UTC."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: object) -> str:
    """The name when it is an IANA zone this machine knows (e.g. Europe/Lisbon), else 422."""
    if not isinstance(name, str) or name not in _known():
        raise InvalidInput(
            f"timezone must be an IANA time zone such as Europe/Lisbon, not {name!r}."
        )
    return name


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every stored one is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_now(timezone: str, now: datetime) -> datetime:
    return now.astimezone(zone(timezone))


def local_today(timezone: str, now: datetime) -> date:
    return local_now(timezone, now).date()


def earliest_today(now: datetime) -> date:
    """The earliest "today" of any hotel: search, across zones, refuses only dates past for all."""
    return (now.astimezone(UTC) - EARLIEST_OFFSET).date()


def at_hotel(day: date, wall: time, timezone: str) -> datetime:
    """The instant (UTC) when the hotel's clock shows `wall` on `day`.

    A wall time the zone skips (a DST gap) or repeats resolves as PEP 495's fold=0 says: before
    the change's offset, so the instant is still well defined.
    """
    return datetime.combine(day, wall, tzinfo=zone(timezone)).astimezone(UTC)


def check_in_at(day: date, timezone: str) -> datetime:
    return at_hotel(day, CHECK_IN_TIME, timezone)


def check_out_at(day: date, timezone: str) -> datetime:
    return at_hotel(day, CHECK_OUT_TIME, timezone)


def hotel_clock_text(instant: datetime, timezone: str) -> str:
    """`12 Dec 2026, 14:32 (Pacific/Auckland)`: a moment as the hotel's clock shows it."""
    local = local_now(timezone, instant)
    return f"{local.day} {local:%b %Y, %H:%M} ({timezone})"
