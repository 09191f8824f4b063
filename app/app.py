"""Builds the Reflex app: pages and the mounted REST API (theme: see rxconfig.py)."""

import reflex as rx

from app.api_mount import mount_api
from app.pages import index

app = rx.App(api_transformer=mount_api)

# Pages are added explicitly: `@rx.page` pages are re-applied on the second compile
# that `reflex run --env prod` does, which logs "Page ... is being redefined".
app.add_page(index.index, route=index.ROUTE, title=index.TITLE, description=index.DESCRIPTION)
