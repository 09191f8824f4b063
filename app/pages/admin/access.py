"""Where the admin page lives and who may use it: every handler asks again on the server."""

from __future__ import annotations

import reflex as rx

from app.state import AuthState

ROUTE = "/admin"


async def is_admin(state: rx.State) -> bool:
    session = await state.get_state(AuthState)
    await session.resolve()
    return session.is_admin
