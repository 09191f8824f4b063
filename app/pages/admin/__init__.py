"""Admin (`/admin`, admins only): hotels (search, paging, create, edit, delete; room types added,
repriced or removed), the search sync lag, recent orders with their saga timelines, and a few
counts. Every handler checks on the server that the user is an admin.

One state per section, each beside its components: metrics.py (sync lag, counts), orders.py,
hotels_table.py, hotel_form.py (the editor dialog) with room_types.py, and page.py, which loads
them all. After a change a section reloads the others through `get_state` and their `_load`
methods, which are private so the browser cannot call them as events.
"""

from app.pages.admin.access import ROUTE
from app.pages.admin.page import ON_LOAD, TITLE, admin_page

__all__ = ["ON_LOAD", "ROUTE", "TITLE", "admin_page"]
