"""Shared page chrome: header with navigation and the session, main content area, footer."""

import reflex as rx

from app.guest_currency import currency_select
from app.state import AuthState

NAV_ITEMS: list[tuple[str, str]] = [
    ("Search", "/"),
    ("My trips", "/trips"),
]


def nav_link(label: str, href: str) -> rx.Component:
    return rx.link(
        label,
        href=href,
        size="3",
        weight="medium",
        underline="hover",
        color_scheme="gray",
        high_contrast=True,
    )


def session_controls() -> rx.Component:
    """Signed in: the profile link and a logout button; signed out: log in and sign up."""
    return rx.cond(
        AuthState.logged_in,
        rx.hstack(
            rx.link(
                rx.hstack(rx.icon("circle-user", size=18), rx.text(AuthState.first_name)),
                href="/profile",
                size="3",
                weight="medium",
                underline="hover",
                color_scheme="gray",
                high_contrast=True,
                aria_label="Your profile",
                id="nav-profile",
            ),
            rx.button("Log out", size="2", variant="soft", on_click=AuthState.logout),
            align="center",
            spacing="3",
        ),
        rx.hstack(
            rx.button(rx.link("Log in", href="/login", underline="none"), as_child=True, size="2"),
            rx.button(
                rx.link("Sign up", href="/register", underline="none"),
                as_child=True,
                size="2",
                variant="outline",
            ),
            align="center",
            spacing="2",
        ),
    )


def header() -> rx.Component:
    return rx.el.header(
        rx.flex(
            rx.link(
                rx.hstack(
                    rx.icon("hotel", size=24, color=rx.color("accent", 9)),
                    rx.heading("Trinity", size="6", weight="bold"),
                    align="center",
                    spacing="2",
                ),
                href="/",
                underline="none",
                color=rx.color("gray", 12),
                aria_label="Trinity home",
            ),
            rx.el.nav(
                rx.flex(
                    *[nav_link(label, href) for label, href in NAV_ITEMS],
                    rx.cond(AuthState.is_admin, nav_link("Admin", "/admin")),
                    currency_select(),
                    session_controls(),
                    align="center",
                    spacing=rx.breakpoints(initial="3", sm="5"),
                    wrap="wrap",
                ),
                aria_label="Main",
            ),
            justify="between",
            align="center",
            wrap="wrap",
            spacing="3",
            max_width="72rem",
            margin_x="auto",
            padding_x=rx.breakpoints(initial="1rem", md="1.5rem"),
            padding_y="0.75rem",
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.flex(
            rx.text("© Trinity — open hotel booking", size="2", color_scheme="gray"),
            rx.text("Made with care for travellers.", size="2", color_scheme="gray"),
            justify="between",
            wrap="wrap",
            spacing="2",
            max_width="72rem",
            margin_x="auto",
            padding_x=rx.breakpoints(initial="1rem", md="1.5rem"),
            padding_y="1.25rem",
        ),
        border_top=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 2),
    )


def layout(*children: rx.Component, wide: bool = False) -> rx.Component:
    """Wrap page content in the shared header and footer (`wide`: use the whole width)."""
    return rx.flex(
        header(),
        rx.el.main(
            rx.box(
                *children,
                max_width="100rem" if wide else "72rem",
                margin_x="auto",
                padding_x=rx.breakpoints(initial="1rem", md="1.5rem"),
                padding_y=rx.breakpoints(initial="1.5rem", md="1.5rem" if wide else "3rem"),
                width="100%",
            ),
            flex="1",
            width="100%",
        ),
        footer(),
        direction="column",
        min_height="100vh",
        background_color=rx.color("gray", 1),
    )


def listing_card(
    details: list[rx.Component], actions: list[rx.Component], **props: object
) -> rx.Component:
    """A card of a listed item: its details on the left, its price and actions on the right
    (stacked on phones)."""
    return rx.card(
        rx.flex(
            rx.flex(*details, direction="column", spacing="1"),
            rx.flex(
                *actions,
                direction="column",
                align=rx.breakpoints(initial="start", sm="end"),
                spacing="2",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            justify="between",
            spacing="3",
        ),
        width="100%",
        **props,
    )
