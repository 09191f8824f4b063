"""Money and rooms add up: the checker every saga test and the benchmark run.

1. charges - refunds (our payments table) == what confirmed orders kept (amount - refunded);
2. the gateway's own ledger agrees with our payments table (no charge we do not know of);
3. no order was charged twice, and no refund exceeds its charge;
4. every room-night's reserved count == the held + confirmed bookings covering that night;
5. (optional) no order is still pending/paid after the deadline.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, select

from backend.context import Context
from backend.inventory import nights
from backend.models import (
    Booking,
    BookingStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    RoomInventory,
)
from backend.saga.order_state import is_terminal

ZERO = Decimal("0")


@dataclass
class InvariantReport:
    charged: Decimal = ZERO
    refunded: Decimal = ZERO
    kept_by_confirmed: Decimal = ZERO
    gateway_charged: Decimal = ZERO
    gateway_refunded: Decimal = ZERO
    statuses: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        verdict = "OK" if self.ok else "VIOLATED: " + "; ".join(self.violations)
        return (
            f"charged {self.charged} - refunded {self.refunded} = {self.charged - self.refunded}, "
            f"confirmed orders kept {self.kept_by_confirmed}; gateway {self.gateway_charged} / "
            f"{self.gateway_refunded}; orders {dict(self.statuses)}; invariants {verdict}"
        )


def check_invariants(
    ctx: Context, *, all_terminal_before: datetime | None = None, check_gateway: bool = True
) -> InvariantReport:
    report = InvariantReport()
    with ctx.unit_of_work() as uow:
        session = uow.session
        _money(session, report, all_terminal_before)
        _rooms(session, report)
    if check_gateway:
        report.gateway_charged, report.gateway_refunded = ctx.gateway.totals()
        if (report.gateway_charged, report.gateway_refunded) != (report.charged, report.refunded):
            report.violations.append(
                f"gateway ledger {report.gateway_charged}/{report.gateway_refunded} != payments "
                f"table {report.charged}/{report.refunded}"
            )
    return report


def _money(session: Session, report: InvariantReport, deadline: datetime | None) -> None:
    charges: Counter[int] = Counter()
    charged_by_order: dict[int, Decimal] = {}
    refunded_by_order: dict[int, Decimal] = {}
    for payment in session.exec(select(Payment)).all():
        if payment.kind == PaymentKind.CHARGE:
            report.charged += payment.amount
            charges[payment.order_id] += 1
            charged_by_order[payment.order_id] = payment.amount
        else:
            report.refunded += payment.amount
            refunded_by_order[payment.order_id] = (
                refunded_by_order.get(payment.order_id, ZERO) + payment.amount
            )
    report.violations += [f"order {o} charged {n} times" for o, n in charges.items() if n > 1]
    report.violations += [
        f"order {o} refunded {r} > charged {charged_by_order.get(o, ZERO)}"
        for o, r in refunded_by_order.items()
        if r > charged_by_order.get(o, ZERO)
    ]
    for order in session.exec(select(Order)).all():
        report.statuses[str(order.status)] += 1
        if order.status == OrderStatus.CONFIRMED:
            report.kept_by_confirmed += order.amount - order.refunded_amount
        if deadline is not None and not is_terminal(order.status) and order.created_at < deadline:
            report.violations.append(f"order {order.id} still {order.status}")
    if report.charged - report.refunded != report.kept_by_confirmed:
        report.violations.append(
            f"charges - refunds = {report.charged - report.refunded} but confirmed orders kept "
            f"{report.kept_by_confirmed}"
        )


def _rooms(session: Session, report: InvariantReport) -> None:
    expected: Counter[tuple[int, date]] = Counter()
    live = (BookingStatus.HELD, BookingStatus.CONFIRMED)
    for booking in session.exec(select(Booking).where(Booking.status.in_(live))).all():  # type: ignore[attr-defined]
        for night in nights(booking.check_in, booking.check_out):
            expected[(booking.room_type_id, night)] += 1
    actual = {
        (row.room_type_id, row.night): row.reserved
        for row in session.exec(select(RoomInventory)).all()
        if row.reserved
    }
    for key in set(expected) | set(actual):
        if expected.get(key, 0) != actual.get(key, 0):
            report.violations.append(
                f"room type {key[0]} night {key[1]}: reserved {actual.get(key, 0)}, "
                f"bookings need {expected.get(key, 0)}"
            )
