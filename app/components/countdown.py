"""A countdown to a deadline that ticks in the browser (assets/countdown.jsx)."""

from __future__ import annotations

import reflex as rx


class Countdown(rx.NoSSRComponent):
    library = rx.asset("countdown.jsx").importable_path
    tag = "Countdown"

    deadline: rx.Var[str]  # ISO 8601 with a time zone
    expired_text: rx.Var[str]

    on_expire: rx.EventHandler[rx.event.no_args_event_spec]


countdown = Countdown.create
