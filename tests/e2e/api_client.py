"""The public REST API (../shared/API.md) as the browser suite's one way to set up data.

Only HTTP: nothing here imports the backend, so the same calls work against the suite's own server
and against any deployment named by TRINITY_E2E_URL.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode


class ApiError(AssertionError):
    """An answer with another status than the call expected (its body says why)."""


@dataclass(frozen=True)
class Api:
    base_url: str
    timeout_s: float = 30.0

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str = "",
        expect: tuple[int, ...] = (200, 201, 202, 204),
    ) -> Any:
        """One request; the decoded JSON answer (None for an empty one)."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        if status not in expect:
            raise ApiError(
                f"{method} {path} answered {status}: {raw[:500].decode(errors='replace')}"
            )
        return json.loads(raw) if raw else None

    # -- accounts ----------------------------------------------------------------------------

    def register(self, email: str, password: str, name: str) -> str:
        body = {"email": email, "password": password, "name": name}
        return str(self.call("POST", "/api/auth/register", body, expect=(201,))["token"])

    def login(self, email: str, password: str) -> str:
        body = {"email": email, "password": password}
        return str(self.call("POST", "/api/auth/login", body, expect=(200,))["token"])

    def user_id(self, token: str) -> int:
        return int(self.call("GET", "/api/me", token=token, expect=(200,))["id"])

    # -- hotels (admin) ----------------------------------------------------------------------

    def create_hotel(self, admin_token: str, hotel: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.call(
            "POST", "/api/admin/hotels", hotel, admin_token, expect=(201,)
        )
        return answer

    def delete_hotel(self, admin_token: str, hotel_id: int) -> None:
        self.call("DELETE", f"/api/admin/hotels/{hotel_id}", token=admin_token, expect=(204, 404))

    def hotel(self, hotel_id: int) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("GET", f"/api/hotels/{hotel_id}", expect=(200,))
        return answer

    def search(self, **params: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("GET", f"/api/search?{urlencode(params)}", expect=(200,))
        return answer

    def wait_until_found(self, text: str, total: int, timeout_s: float = 20.0) -> None:
        """Until a text search answers `total` hits (new hotels reach search asynchronously)."""
        deadline = time.monotonic() + timeout_s
        while (found := self.search(q=text, limit=100)["total"]) != total:
            if time.monotonic() > deadline:
                raise ApiError(f"search for {text!r} finds {found} hotels, not {total}")
            time.sleep(0.1)

    # -- bookings and orders -----------------------------------------------------------------

    def hold(
        self, token: str, room_type_id: int, check_in: date, check_out: date, guests: int = 2
    ) -> dict[str, Any]:
        body = {
            "room_type_id": room_type_id,
            "check_in": check_in.isoformat(),
            "check_out": check_out.isoformat(),
            "guests": guests,
        }
        answer: dict[str, Any] = self.call("POST", "/api/bookings", body, token, expect=(201,))
        return answer

    def checkout(self, token: str, booking_id: int, card_number: str) -> int:
        """Pay a hold; the order's id (the saga runs on from there)."""
        body = {"booking_id": booking_id, "card_number": card_number}
        return int(self.call("POST", "/api/checkout", body, token, expect=(202,))["order_id"])

    # -- test mode (TRINITY_TEST_MODE=1 on the server) ----------------------------------------

    def clock_settable(self) -> bool:
        """Whether the app has a test clock (off, /api/test/* answers 404)."""
        try:
            self.call("GET", "/api/test/clock", expect=(200,))
        except ApiError:
            return False
        return True

    def move_clock(self, **change: Any) -> dict[str, Any]:
        """`advance_seconds=`, `set_to=` (an aware datetime) or `reset=True`; the server's time."""
        body = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in change.items()}
        answer: dict[str, Any] = self.call("POST", "/api/test/clock", body, expect=(200,))
        return answer
