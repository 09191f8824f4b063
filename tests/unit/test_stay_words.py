"""What the pages write about a stay: "1 guest", and a URL's check-in kept from the earliest
hotel's "today" on (app/stay.py), so a same-day stay west of UTC survives a reload."""

from __future__ import annotations

from datetime import date

from app.format import guests_label
from app.stay import StayParams


def test_guests_are_counted_in_words() -> None:
    assert guests_label(1) == "1 guest"
    assert guests_label(2) == "2 guests"


def test_a_check_in_from_the_earliest_today_is_kept() -> None:
    today, earliest = date(2027, 1, 11), date(2027, 1, 10)  # UTC's and UTC-12's dates
    query = {"check_in": "2027-01-10", "check_out": "2027-01-11", "guests": "1"}
    kept = StayParams.from_query(query, today, earliest)
    assert (kept.check_in, kept.check_out, kept.guests) == (earliest, date(2027, 1, 11), 1)
    # Without `earliest` a date before `today` falls back to the default stay, counted from today.
    default = StayParams.from_query(query, today)
    assert (default.check_in, default.nights) == (date(2027, 1, 25), 2)
    # Before the earliest "today" anywhere it is past for every hotel: the default again.
    past = StayParams.from_query({**query, "check_in": "2027-01-09"}, today, earliest)
    assert past.check_in == date(2027, 1, 25)
