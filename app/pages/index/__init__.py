"""Search page: a map and a result list kept in sync, with filters; the whole view lives in the URL.

Flow: the URL's query is parsed on load (place, stay, prices, amenities, sort and the map viewport
as ne_/sw_ corners) and searched. A place search drops the viewport and fits the map to what it
found; a user's pan or zoom (reported debounced by the map) searches that viewport. Every change
writes the canonical query back into the address bar, so a reload or a shared link restores it.

state.py holds the state, filters.py and results.py the components, page.py the layout.
"""

from app.pages.index.page import DESCRIPTION, ON_LOAD, ROUTE, TITLE, index

__all__ = ["DESCRIPTION", "ON_LOAD", "ROUTE", "TITLE", "index"]
