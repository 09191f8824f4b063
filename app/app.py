"""Builds the Reflex app: pages, the mounted REST API, and local mode's in-process roles."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import reflex as rx

from app.api_mount import mount_api, websocket_origin_allowed
from app.pages import admin, checkout, hotel, index, login, profile, register, trip, trips
from backend.bootstrap import get_context
from workers.local import start_in_process_roles


@asynccontextmanager
async def in_process_roles() -> AsyncIterator[None]:
    stop = start_in_process_roles(get_context())
    try:
        yield
    finally:
        stop()


app = rx.App(api_transformer=mount_api, stylesheets=["/trinity.css"])
app.register_lifespan_task(in_process_roles)
# Socket.IO checks the Origin of the websocket itself; only against the configured list, which
# cannot name every host the app answers on: same host or a configured origin.
if app.sio is not None:
    app.sio.eio.cors_allowed_origins = websocket_origin_allowed

# Pages are added explicitly: `@rx.page` pages are re-applied on the second compile
# that `reflex run --env prod` does, which logs "Page ... is being redefined".
app.add_page(
    index.index,
    route=index.ROUTE,
    title=index.TITLE,
    description=index.DESCRIPTION,
    on_load=index.ON_LOAD,
)
app.add_page(login.login_page, route=login.ROUTE, title=login.TITLE, on_load=login.ON_LOAD)
app.add_page(
    register.register_page, route=register.ROUTE, title=register.TITLE, on_load=register.ON_LOAD
)
app.add_page(
    profile.profile_page, route=profile.ROUTE, title=profile.TITLE, on_load=profile.ON_LOAD
)
app.add_page(hotel.hotel_page, route=hotel.ROUTE, title=hotel.TITLE, on_load=hotel.ON_LOAD)
app.add_page(trips.trips_page, route=trips.ROUTE, title=trips.TITLE, on_load=trips.ON_LOAD)
app.add_page(trip.trip_page, route=trip.ROUTE, title=trip.TITLE, on_load=trip.ON_LOAD)
app.add_page(
    checkout.checkout_page, route=checkout.ROUTE, title=checkout.TITLE, on_load=checkout.ON_LOAD
)
app.add_page(admin.admin_page, route=admin.ROUTE, title=admin.TITLE, on_load=admin.ON_LOAD)
