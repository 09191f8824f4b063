"""Where the admin page lives and who may use it: every handler asks again on the server.

Handlers are callable over the websocket by any client, whatever the page shows, so each one that
reads or changes admin data starts with `is_admin`, which reads the user's current flag.
"""

from __future__ import annotations

import reflex as rx

from app.state import AuthState

ROUTE = "/admin"


async def is_admin(state: rx.State) -> bool:
    session = await state.get_state(AuthState)
    return await session.current_admin()
