"""The page's event handlers check the session's user on the server: any client can call any
handler over the websocket with any arguments, whatever its page shows. Each test builds a tab's
state tree in process (as Reflex does per client) on the test's services and calls the handlers
as another guest, a guest, an anonymous tab and an admin demoted while the tab is open."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import reflex as rx
from factories import make_hotel, make_user, stay
from sqlmodel import Session, select

from backend.context import Context
from backend.errors import Unauthorized
from backend.models import Booking, BookingStatus, Hotel, RoomType, User
from backend.services import auth, booking, hotels
from backend.services.booking import HoldRequest

S = TypeVar("S", bound=rx.State)


class Tab:
    """One browser tab's state tree, signed in with `token` ("" = signed out)."""

    def __init__(self, token: str) -> None:
        from reflex.state import State

        from app.state import AuthState

        self.root = State(_reflex_internal_init=True)
        self.state(AuthState).token = token

    def state(self, state_class: type[S]) -> S:
        return self.root.get_substate(state_class.get_full_name().split(".")[1:])  # type: ignore[return-value]


@pytest.fixture
def tab(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Tab]:
    """The pages' services are the test's own (app.state reaches them through get_context)."""
    import app.state
    from app.app import app as _registers_every_state  # noqa: F401

    monkeypatch.setattr(app.state, "get_context", lambda: ctx)
    return Tab


def run(state: rx.State, handler: str, *args: Any) -> list[Any]:
    """Call an event handler as the websocket would; returns what it yielded or returned."""
    result = type(state).event_handlers[handler].fn(state, *args)

    async def drain() -> list[Any]:
        if inspect.isasyncgen(result):
            return [step async for step in result]
        return [await result] if inspect.isawaitable(result) else [result]

    return asyncio.run(drain())


def _held_booking(ctx: Context, user_id: int) -> int:
    _, room_type_id = make_hotel(ctx, rooms=2)
    held = booking.hold_room(ctx, HoldRequest(user_id, room_type_id, *stay(), 1))
    return held.id or 0


def _status(ctx: Context, booking_id: int) -> BookingStatus:
    with Session(ctx.engine) as session:
        found = session.get(Booking, booking_id)
    assert found is not None
    return found.status


def test_another_guest_can_neither_cancel_nor_list_my_booking(
    ctx: Context, tab: Callable[[str], Tab]
) -> None:
    from app.pages.trips import TripsState

    _, alice = make_user(ctx, "alice@example.com")
    bob_token, _ = make_user(ctx, "bob@example.com")
    alices = _held_booking(ctx, alice)

    bobs_tab = tab(bob_token).state(TripsState)
    run(bobs_tab, "cancel", alices)
    assert _status(ctx, alices) == BookingStatus.HELD
    assert bobs_tab.error  # "not found", as for a booking that does not exist
    run(bobs_tab, "load")
    assert bobs_tab.trips == []

    anonymous = tab("").state(TripsState)
    run(anonymous, "cancel", alices)
    assert _status(ctx, alices) == BookingStatus.HELD


def _hotel_count(ctx: Context) -> int:
    with Session(ctx.engine) as session:
        return len(session.exec(select(Hotel)).all())


def _demote(ctx: Context, user_id: int) -> None:
    with Session(ctx.engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.is_admin = False
        session.add(user)
        session.commit()


@pytest.mark.parametrize("who", ["anonymous", "guest", "demoted admin"])
def test_admin_handlers_refuse_everyone_but_a_current_admin(
    ctx: Context, tab: Callable[[str], Tab], who: str
) -> None:
    from app.pages.admin.hotel_form import AdminEditorState
    from app.pages.admin.hotels_table import AdminHotelsState
    from app.pages.admin.room_types import AdminRoomTypesState

    hotel_id, room_type_id = make_hotel(ctx)
    token = ""
    if who == "guest":
        token, _ = make_user(ctx, "guest@example.com")
    if who == "demoted admin":
        token, admin_id = make_user(ctx, "ops@example.com", admin=True)
    window = tab(token)
    table = window.state(AdminHotelsState)
    if who == "demoted admin":
        run(table, "set_query", "")  # the tab was opened while still an admin ...
        assert table.total >= 1
        _demote(ctx, admin_id)  # ... and stays open

    run(table, "ask_delete", hotel_id, "Target")
    run(table, "confirm_delete")
    editor = window.state(AdminEditorState)
    run(editor, "save", {"name": "Renamed by an intruder", "city": "X", "country": "PT"})
    run(editor, "edit_hotel", hotel_id)
    rooms = window.state(AdminRoomTypesState)
    rooms.hotel_id = hotel_id
    run(rooms, "remove", room_type_id, "Double")

    assert _hotel_count(ctx) == 1
    view = hotels.get_hotel(ctx, hotel_id)
    assert view.hotel.name != "Renamed by an intruder"
    assert [rt.id for rt in view.room_types] == [room_type_id]
    assert editor.editing_id == 0  # the form never loaded the hotel
    with Session(ctx.engine) as session:
        assert session.get(RoomType, room_type_id) is not None


def test_the_lag_watch_polls_for_admins_only(
    ctx: Context, tab: Callable[[str], Tab], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An anonymous websocket client could start a database poll loop per call."""
    import app.pages.admin.metrics as metrics_page

    polls: list[str] = []
    lag = metrics_page.sync_lag
    monkeypatch.setattr(metrics_page, "sync_lag", lambda engine: polls.append("") or lag(engine))
    # A connected tab on the admin page, watching briefly and fast.
    monkeypatch.setattr(metrics_page, "client_connected", lambda state: True)
    monkeypatch.setattr(metrics_page, "ROUTE", "")
    monkeypatch.setattr(metrics_page, "LAG_REFRESH_S", 0.01)
    monkeypatch.setattr(metrics_page, "LAG_WATCH_MAX_S", 0.2)
    guest, _ = make_user(ctx, "guest@example.com")
    for token in ("", guest):
        run(tab(token).state(metrics_page.AdminMetricsState), "watch_lag")
    assert polls == []
    admin, _ = make_user(ctx, "ops@example.com", admin=True)
    run(tab(admin).state(metrics_page.AdminMetricsState), "watch_lag")
    assert polls, "the watch never polled for an admin: the check above proves nothing"


def test_logging_out_on_the_page_revokes_the_token_on_the_server(
    ctx: Context, tab: Callable[[str], Tab]
) -> None:
    """A copy of the token (another device, a leaked one) stops working once the guest logs out."""
    from app.state import AuthState

    token, _ = make_user(ctx, "alice@example.com")
    window = tab(token).state(AuthState)
    run(window, "load_session")
    assert window.logged_in

    run(window, "logout")
    assert window.token == "" and not window.logged_in
    with pytest.raises(Unauthorized):
        auth.user_from_token(ctx, token)


def test_a_stale_tabs_log_out_leaves_a_newer_session_alone(
    ctx: Context, tab: Callable[[str], Tab]
) -> None:
    """A tab whose token was revoked already ends nothing more: the guest's login since stays."""
    from app.state import AuthState

    old_token, user_id = make_user(ctx, "alice@example.com")
    auth.revoke_tokens(ctx, user_id)  # logged out elsewhere ...
    new_token, _ = auth.login(ctx, "alice@example.com", "correct horse battery")  # ... and back in

    run(tab(old_token).state(AuthState), "logout")
    assert auth.user_from_token(ctx, new_token).id == user_id
    run(tab("").state(AuthState), "logout")  # a signed-out tab's log out is harmless


def test_a_check_in_past_on_the_hotels_clock_moves_to_its_today(
    ctx: Context, tab: Callable[[str], Tab], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link made where it was still the 10th (UTC) opens an Auckland hotel when it is the 11th
    there: the page shows the hotel with the stay moved to its today (nights kept) and says so,
    not a blank page with "check_in cannot be in the past."."""
    from datetime import UTC, date, datetime

    from app.pages.hotel import HotelState
    from app.stay import StayParams

    hotel_id, room_type_id = make_hotel(ctx, rooms=2)
    with Session(ctx.engine) as session:
        hotel = session.get(Hotel, hotel_id)
        assert hotel is not None
        hotel.timezone = "Pacific/Auckland"
        session.add(hotel)
        session.commit()
    now = datetime(2027, 1, 10, 12, 30, tzinfo=UTC)  # 01:30 on the 11th in Auckland (UTC+13)
    monkeypatch.setattr(ctx, "clock", lambda: now)
    monkeypatch.setattr(HotelState, "_hotel_id", lambda self: hotel_id)

    page = tab("").state(HotelState)
    page._set_stay(StayParams(date(2027, 1, 10), date(2027, 1, 12), 2))
    asyncio.run(page._refresh())
    assert (page.check_in, page.check_out) == ("2027-01-11", "2027-01-13")
    assert page.today == "2027-01-11"  # the date picker starts at the hotel's today
    assert page.stay_error == ""
    assert page.stay_notice == (
        "Sun 10 Jan 2027 has already passed at this hotel (its local time): "
        "check-in moved to Mon 11 Jan 2027."
    )
    assert page.hotel.name == "Hotel Test"
    assert [(r.id, r.available) for r in page.rooms] == [(room_type_id, 2)]

    page._set_stay(StayParams(date(2027, 1, 12), date(2027, 1, 14), 2))  # a date still ahead
    page.stay_notice = ""
    asyncio.run(page._refresh())
    assert (page.check_in, page.stay_notice) == ("2027-01-12", "")
