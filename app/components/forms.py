"""Form building blocks: labelled fields, error callouts and submit buttons, keyboard-first."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_label(text: str, html_for: str) -> rx.Component:
    return rx.el.label(
        text,
        html_for=html_for,
        font_size="0.875rem",
        font_weight="500",
        color=rx.color("gray", 12),
    )


def labelled(label: str, id: str, control: rx.Component, **props: Any) -> rx.Component:
    """A visible label above its control, tied to it (`for` = the control's `id`), so screen
    readers and tests find the control by its label. `props` size the pair (full width unless
    told otherwise)."""
    props.setdefault("width", "100%")
    return rx.flex(field_label(label, id), control, direction="column", spacing="1", **props)


def labelled_input(label: str, id: str, **props: Any) -> rx.Component:
    props.setdefault("name", id)
    props.setdefault("size", "3")
    props.setdefault("width", "100%")
    return labelled(label, id, rx.input(id=id, **props))


def error_callout(message: rx.Var[str] | str, **props: Any) -> rx.Component:
    return rx.callout(
        message,
        icon="triangle-alert",
        color_scheme="red",
        role="alert",
        width="100%",
        **props,
    )


def info_callout(message: rx.Var[str] | str, **props: Any) -> rx.Component:
    return rx.callout(message, icon="info", color_scheme="blue", width="100%", **props)


def submit_button(label: str, loading: rx.Var[bool] | bool = False, **props: Any) -> rx.Component:
    props.setdefault("size", "3")
    props.setdefault("width", "100%")
    return rx.button(label, type="submit", loading=loading, **props)
