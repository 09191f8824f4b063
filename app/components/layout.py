"""Shared page chrome: header with navigation, main content area, footer."""

import reflex as rx

NAV_ITEMS: list[tuple[str, str]] = [
    ("Search", "/search"),
    ("My trips", "/trips"),
    ("Admin", "/admin"),
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
                    rx.link(rx.button("Log in", size="2", variant="solid"), href="/login"),
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


def layout(*children: rx.Component) -> rx.Component:
    """Wrap page content in the shared header and footer."""
    return rx.flex(
        header(),
        rx.el.main(
            rx.box(
                *children,
                max_width="72rem",
                margin_x="auto",
                padding_x=rx.breakpoints(initial="1rem", md="1.5rem"),
                padding_y=rx.breakpoints(initial="1.5rem", md="3rem"),
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
