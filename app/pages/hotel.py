"""Hotel page: description, amenities, location, room types with availability, and "Reserve".

Reserve is optimistic: the room's free count drops at once, and rolls back with a message when the
hold fails (sold out, or the rooms are busy: then a retry button). The stay (dates, guests) lives in
the URL query, so a reload or a shared link shows the same stay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import reflex as rx

from app.browser import replace_url
from app.components.forms import error_callout, info_callout
from app.components.layout import layout, listing_card
from app.components.leaflet_map import trinity_map
from app.components.stay_fields import stay_fields
from app.components.stay_policy import (
    hotel_times_words,
    own_hold_banner,
    policy_callout,
    policy_words,
)
from app.format import (
    amenity_icon,
    amenity_label,
    charged,
    long_date,
    nights_label,
    parse_date,
    parse_int,
    shown,
)
from app.guest_currency import PARAM, CurrencyState
from app.state import LOGIN_ROUTE, AuthState, browser_deadline, call, context
from app.stay import StayParams, StayVars
from backend.errors import Busy, NotFound, SoldOut, TrinityError
from backend.services import booking, hotels
from backend.services.booking import HoldRequest
from backend.services.hotels import HotelView, Stay
from backend.stay_time import earliest_today, local_today

ROUTE = "/hotel/[hotel_id]"
TITLE = "Hotel — Trinity"


@dataclass
class Amenity:
    code: str = ""
    label: str = ""
    icon: str = "check"


@dataclass
class RoomRow:
    id: int = 0
    name: str = ""
    capacity: int = 1
    rooms: int = 0
    available: int = 0
    price: str = ""  # nightly, in the guest's currency with the hotel's amount beside it
    total: str = ""  # for the chosen stay, the same way
    price_shown: str = ""  # nightly, in the guest's currency only (the map marker)
    pending: bool = False
    mine: bool = False  # the guest holds this room for the stay: Reserve resumes that hold


@dataclass
class HotelInfo:
    id: int = 0
    name: str = ""
    city: str = ""
    country: str = ""
    description: str = ""
    rating: float = 0.0
    lat: float = 0.0
    lng: float = 0.0
    currency: str = "EUR"
    timezone: str = "UTC"
    cancellation_policy: str = ""
    amenities: list[Amenity] = field(default_factory=list)


class HotelState(StayVars, rx.State):
    loaded: bool = False
    not_found: bool = False
    hotel: HotelInfo = HotelInfo()
    rooms: list[RoomRow] = []  # noqa: RUF012 (a Reflex state var)
    nights: int = 0
    stay_error: str = ""
    stay_notice: str = ""  # the check-in was moved: the asked date has passed on the hotel's clock
    # Outcome of the last reservation attempt.
    message: str = ""
    message_kind: str = ""  # "sold_out", "busy", "error"
    retry_room_id: int = 0
    guest_currency: str = "EUR"  # the one prices were last formatted in
    # The policy with its deadline for the stay, hotel times, and the guest's own live hold.
    policy_text: str = ""
    times_text: str = ""
    own_hold_id: int = 0
    own_hold_room: str = ""
    own_hold_deadline: str = ""

    @rx.var
    def nights_text(self) -> str:
        return nights_label(self.nights)

    @rx.var
    def map_marker(self) -> list[dict]:
        if not self.loaded or self.not_found:
            return []
        # Room types come cheapest first.
        label = f"from {self.rooms[0].price_shown}" if self.rooms else self.hotel.name
        return [
            {
                "id": self.hotel.id,
                "lat": self.hotel.lat,
                "lng": self.hotel.lng,
                "label": label,
                "title": self.hotel.name,
            }
        ]

    def _hotel_id(self) -> int:
        return parse_int(self.router.url.path.rstrip("/").rsplit("/", 1)[-1]) or 0

    def _set_stay(self, stay: StayParams) -> None:
        super()._set_stay(stay)
        self.nights = stay.nights

    def _page_url(self) -> str:
        query = {**self._stay().query(), PARAM: self.guest_currency}
        return f"/hotel/{self.hotel.id or self._hotel_id()}?{urlencode(query)}"

    async def _refresh(self) -> None:
        """Load the hotel and its availability for the current stay."""
        self.guest_currency = (await self.get_state(CurrencyState)).shown
        guest = self.guest_currency
        hotel_id = self._hotel_id()
        stay = self._stay()
        try:
            view = await call(
                hotels.get_hotel, hotel_id, Stay(stay.check_in, stay.check_out, stay.guests)
            )
        except NotFound:
            self.not_found = True
            self.loaded = True
            self.rooms = []
            return
        except TrinityError as error:
            moved = await self._from_hotel_today(hotel_id)
            if moved is None:
                self.stay_error = error.message
                self.loaded = True
                return
            view, stay = moved, self._stay()
        h = view.hotel
        self.stay_error = ""
        self.not_found = False
        # The date picker starts at the hotel's own "today" once the hotel is known.
        self.today = local_today(h.timezone, context().clock()).isoformat()
        self.hotel = HotelInfo(
            id=h.id or 0,
            name=h.name,
            city=h.city,
            country=h.country,
            description=h.description,
            rating=h.rating,
            lat=h.lat,
            lng=h.lng,
            currency=h.currency,
            timezone=h.timezone,
            cancellation_policy=h.cancellation_policy,
            amenities=[Amenity(a, amenity_label(a), amenity_icon(a)) for a in h.amenities],
        )
        self.rooms = [
            RoomRow(
                id=rt.id,
                name=rt.name,
                capacity=rt.capacity,
                rooms=rt.rooms,
                available=rt.available or 0,
                price=charged(rt.price, h.currency, guest),
                total=charged(rt.price * stay.nights, h.currency, guest),
                price_shown=shown(rt.price, h.currency, guest),
            )
            for rt in view.room_types
        ]
        self.policy_text = policy_words(h.cancellation_policy, stay.check_in, h.timezone)
        self.times_text = hotel_times_words(h.timezone)
        await self._find_own_hold()
        self.loaded = True

    async def _from_hotel_today(self, hotel_id: int) -> HotelView | None:
        """A check-in already past on the hotel's clock (the link was made where it was still
        that day): the stay moved to the hotel's today, keeping its nights, and said so."""
        stay = self._stay()
        try:
            bare = await call(hotels.get_hotel, hotel_id)
            today = local_today(bare.hotel.timezone, context().clock())
            if stay.check_in >= today:
                return None  # not the past date: the error stands
            moved = stay.with_check_in(today)
            view = await call(
                hotels.get_hotel, hotel_id, Stay(moved.check_in, moved.check_out, moved.guests)
            )
        except TrinityError:
            return None
        self._set_stay(moved)
        self.stay_notice = (
            f"{long_date(stay.check_in)} has already passed at this hotel (its local time): "
            f"check-in moved to {long_date(moved.check_in)}."
        )
        return view

    async def _find_own_hold(self) -> None:
        """The guest's live hold of a room here for this stay, to resume instead of re-reserving."""
        self.own_hold_id, self.own_hold_room, self.own_hold_deadline = 0, "", ""
        user_id = (await self.get_state(AuthState)).user_id
        stay = self._stay()
        if not user_id:
            return
        holds = await call(
            booking.live_holds, user_id, self.hotel.id, stay.check_in, stay.check_out
        )
        mine = {hold.room_type_id: hold for hold in holds}
        for row in self.rooms:
            row.mine = row.id in mine
            if row.mine and not self.own_hold_id:
                hold = mine[row.id]
                self.own_hold_id, self.own_hold_room = hold.id or 0, row.name
                self.own_hold_deadline = browser_deadline(hold.hold_expires_at)

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        self.loaded = False
        self.message = ""
        self.message_kind = ""
        self.retry_room_id = 0
        self.stay_notice = ""
        today = context().clock().date()  # the default stay counts from here
        # The date picker allows the earliest "today" anywhere; the hotel's own clock decides.
        earliest = earliest_today(context().clock())
        self.today = earliest.isoformat()
        self._set_stay(StayParams.from_query(self.router.url.query_parameters, today, earliest))
        await self._refresh()
        if self.not_found:
            return None
        # The canonical URL carries the stay, so a copied link shows the same dates.
        return replace_url(self._page_url())

    async def _change_stay(self, stay: StayParams) -> rx.event.EventSpec:
        self._set_stay(stay)
        self.message = ""
        self.stay_notice = ""
        await self._refresh()
        return replace_url(self._page_url())

    @rx.event
    async def set_check_in(self, value: str) -> rx.event.EventSpec | None:
        day = parse_date(value)
        if day is None or day < (parse_date(self.today) or earliest_today(context().clock())):
            return None
        return await self._change_stay(self._stay().with_check_in(day))

    @rx.event
    async def set_check_out(self, value: str) -> rx.event.EventSpec | None:
        day = parse_date(value)
        if day is None:
            return None
        return await self._change_stay(self._stay().with_check_out(day))

    @rx.event
    async def set_guests(self, value: str) -> rx.event.EventSpec | None:
        guests = parse_int(value)
        if guests is None:
            return None
        stay = self._stay()
        return await self._change_stay(StayParams(stay.check_in, stay.check_out, guests))

    def _row(self, room_id: int) -> RoomRow | None:
        return next((r for r in self.rooms if r.id == room_id), None)

    @rx.event
    async def reserve(self, room_id: int) -> AsyncIterator[rx.event.EventSpec | None]:
        session = await self.get_state(AuthState)
        user_id = await session.resolve()
        if not user_id:
            yield rx.redirect(f"{LOGIN_ROUTE}?next={quote(self._page_url(), safe='')}")
            return
        row = self._row(room_id)
        if row is None or row.pending:
            return
        # Optimistic: show the room as taken before the server has answered (unless it is the
        # guest's own hold, which Reserve resumes).
        previous = row.available
        row.available = previous if row.mine else max(0, previous - 1)
        row.pending = True
        self.rooms = list(self.rooms)
        self.message = ""
        self.message_kind = ""
        self.retry_room_id = 0
        yield
        stay = self._stay()
        request = HoldRequest(user_id, room_id, stay.check_in, stay.check_out, stay.guests)
        try:
            held = await call(booking.hold_room, request)
        except (SoldOut, Busy, TrinityError) as error:
            row = self._row(room_id)
            if row is not None:  # roll back
                row.available = previous
                row.pending = False
                self.rooms = list(self.rooms)
            if isinstance(error, SoldOut):
                self.message_kind = "sold_out"
                self.message = f"Sorry, it's sold out: {error.message}"
            elif isinstance(error, Busy):
                self.message_kind = "busy"
                self.message = "Many guests are booking this room right now. Please try again."
                self.retry_room_id = room_id
            else:
                self.message_kind = "error"
                self.message = error.message
            yield
            if isinstance(error, SoldOut):
                await self._refresh()  # the real count, now that someone else has the room
            return
        row = self._row(room_id)
        if row is not None:
            row.pending = False
            self.rooms = list(self.rooms)
        yield rx.redirect(f"/checkout/{held.id}")


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------


def amenity_badge(amenity: Amenity) -> rx.Component:
    return rx.badge(
        rx.icon(amenity.icon, size=14),
        amenity.label,
        size="2",
        variant="soft",
        color_scheme="gray",
    )


def hotel_header() -> rx.Component:
    return rx.flex(
        rx.heading(HotelState.hotel.name, size="8", as_="h1", id="hotel-name"),
        rx.hstack(
            rx.icon("map-pin", size=16),
            rx.text(HotelState.hotel.city, ", ", HotelState.hotel.country),
            rx.text("·"),
            rx.icon("star", size=16, color=rx.color("amber", 9)),
            rx.text(HotelState.hotel.rating, aria_label="rating"),
            align="center",
            spacing="2",
            color=rx.color("gray", 11),
        ),
        direction="column",
        spacing="2",
    )


def about_section() -> rx.Component:
    return rx.flex(
        rx.heading("About this stay", size="5", as_="h2"),
        rx.text(HotelState.hotel.description, size="3", id="hotel-description"),
        rx.heading("Amenities", size="4", as_="h3", margin_top="0.5rem"),
        rx.flex(
            rx.foreach(HotelState.hotel.amenities, amenity_badge),
            wrap="wrap",
            spacing="2",
            id="hotel-amenities",
        ),
        direction="column",
        spacing="3",
    )


def location_section() -> rx.Component:
    return rx.flex(
        rx.heading("Location", size="5", as_="h2"),
        trinity_map(
            center=[HotelState.hotel.lat, HotelState.hotel.lng],
            zoom=13,
            markers=HotelState.map_marker,
            active_id=HotelState.hotel.id,
            label="Map of the hotel's location",
            height="16rem",
            width="100%",
            border_radius="var(--radius-3)",
            overflow="hidden",
            border=f"1px solid {rx.color('gray', 5)}",
            id="hotel-map",
        ),
        direction="column",
        spacing="3",
    )


def availability_text(room: RoomRow) -> rx.Component:
    return rx.text(
        rx.cond(
            room.pending,
            room.available.to_string() + " of " + room.rooms.to_string() + " free — reserving…",
            rx.cond(
                room.available > 0,
                room.available.to_string() + " of " + room.rooms.to_string() + " free",
                "Sold out for these dates",
            ),
        ),
        id="available-" + room.id.to_string(),
        size="2",
        weight="medium",
        color=rx.cond(room.available > 0, rx.color("grass", 11), rx.color("red", 11)),
        custom_attrs={"data-pending": room.pending.to_string()},
    )


def room_card(room: RoomRow) -> rx.Component:
    return listing_card(
        [
            rx.heading(room.name, size="4", as_="h3"),
            rx.text("Sleeps ", room.capacity, size="2", color_scheme="gray"),
            availability_text(room),
        ],
        [
            rx.text(
                rx.text.strong(room.price),
                " / night",
                size="3",
                id="price-" + room.id.to_string(),
            ),
            rx.text(
                room.total,
                " total for ",
                HotelState.nights_text,
                size="2",
                color_scheme="gray",
                id="total-" + room.id.to_string(),
            ),
            rx.button(
                rx.cond(room.pending, "Reserving…", "Reserve"),
                on_click=HotelState.reserve(room.id),
                disabled=((room.available <= 0) & ~room.mine) | room.pending,
                loading=room.pending,
                size="3",
                aria_label="Reserve " + room.name,
            ),
        ],
        id="room-" + room.id.to_string(),
    )


def reservation_message() -> rx.Component:
    return rx.cond(
        HotelState.message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(HotelState.message, id="reserve-message"),
            rx.cond(
                HotelState.message_kind == "busy",
                rx.button(
                    "Try again",
                    on_click=HotelState.reserve(HotelState.retry_room_id),
                    size="2",
                    variant="solid",
                    width="fit-content",
                ),
            ),
            color_scheme=rx.cond(HotelState.message_kind == "busy", "amber", "red"),
            role="alert",
            width="100%",
        ),
    )


def rooms_section() -> rx.Component:
    return rx.flex(
        rx.heading("Rooms", size="5", as_="h2"),
        rx.card(
            stay_fields(
                "hotel",
                HotelState.check_in,
                HotelState.check_out,
                HotelState.guests,
                HotelState.today,
                HotelState.min_check_out,
                HotelState.set_check_in,
                HotelState.set_check_out,
                HotelState.set_guests,
            ),
            variant="surface",
        ),
        rx.cond(HotelState.stay_error != "", error_callout(HotelState.stay_error)),
        rx.cond(
            HotelState.stay_notice != "",
            info_callout(HotelState.stay_notice, id="stay-notice"),
        ),
        rx.cond(
            HotelState.own_hold_id > 0,
            own_hold_banner(
                HotelState.own_hold_room,
                HotelState.own_hold_deadline,
                "/checkout/" + HotelState.own_hold_id.to_string(),
            ),
        ),
        reservation_message(),
        rx.cond(
            HotelState.policy_text != "",
            policy_callout(HotelState.policy_text, HotelState.times_text, id="hotel-policy"),
        ),
        rx.cond(
            HotelState.rooms.length() > 0,
            rx.flex(rx.foreach(HotelState.rooms, room_card), direction="column", spacing="3"),
            rx.text("No room here fits that many guests.", color_scheme="gray", id="no-rooms"),
        ),
        direction="column",
        spacing="4",
        id="rooms",
    )


def not_found_view() -> rx.Component:
    return rx.center(
        rx.card(
            rx.flex(
                rx.icon("search-x", size=32),
                rx.heading("Hotel not found", size="6", as_="h1"),
                rx.text("This hotel does not exist (any more)."),
                rx.link("Back to search", href="/"),
                direction="column",
                align="center",
                spacing="3",
            ),
            size="4",
        )
    )


def hotel_view() -> rx.Component:
    return rx.flex(
        hotel_header(),
        rx.grid(
            rx.flex(about_section(), rooms_section(), direction="column", spacing="6"),
            location_section(),
            grid_template_columns=rx.breakpoints(initial="1fr", md="3fr 2fr"),
            spacing="6",
            width="100%",
        ),
        direction="column",
        spacing="5",
    )


def hotel_page() -> rx.Component:
    return layout(
        rx.cond(
            HotelState.loaded,
            rx.cond(HotelState.not_found, not_found_view(), hotel_view()),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        )
    )


ON_LOAD = [AuthState.load_session, CurrencyState.load, HotelState.load]
