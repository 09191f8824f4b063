"""What each saga step costs by itself: CPU and SQL statements per call, one thread, no broker.

    source .run/dev/env && uv run --frozen python -m bench.saga_steps --sagas 300

Full mode (a fresh PostgreSQL database, the shared Redis). Holds N rooms, then per saga calls
`checkout()` and hands every outbox row it produces straight to its subscribers' handlers (the
code the dramatiq actors run), until the saga has no more events: the handlers' own cost without
dramatiq, pika, RabbitMQ or queueing. 20% of the cards are declined. CPU is `time.thread_time()`
per call; statements are counted by SQLAlchemy's `before_cursor_execute` (BEGIN/COMMIT are not).
The sum per saga is the floor bench/saga.py's pipeline adds its broker and processes to.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select

from backend.bootstrap import build_context
from backend.context import Context
from backend.db import migrate, transaction
from backend.models import OutboxMessage
from backend.saga.events import envelope
from backend.saga.topology import subscribers
from backend.services.checkout import CheckoutRequest, checkout
from backend.settings import Mode, Settings
from bench.common import fresh_database, require_full_mode_env
from bench.saga import DECLINED_CARD, OK_CARD, prepare_holds

_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


class StepMeter:
    """CPU seconds, calls and statements per named step."""

    def __init__(self, ctx: Context) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.statements: dict[str, int] = defaultdict(int)
        self.current = "setup"
        event.listen(ctx.engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements[self.current] += 1

    def run(self, name: str, step: Callable[..., object], *args: object) -> None:
        self.current = name
        started = time.thread_time()
        step(*args)
        self.cpu[name] += time.thread_time() - started
        self.calls[name] += 1


def drive(ctx: Context, sagas: int, meter: StepMeter) -> None:
    bookings, _, user_id = prepare_holds(ctx, sagas, 0.0)
    last_seen = 0
    for i, booking in enumerate(bookings):
        card = DECLINED_CARD if i % 5 == 0 else OK_CARD
        meter.run("checkout", checkout, ctx, CheckoutRequest(user_id, booking.id, card))
        while True:
            with transaction(ctx.engine) as session:
                query = select(_OUTBOX).where(_OUTBOX.c.id > last_seen).order_by(_OUTBOX.c.id)
                rows = session.execute(query).all()
            if not rows:
                break
            last_seen = rows[-1].id
            for row in rows:
                message = envelope(row)
                for consumer in subscribers(row.event_type):
                    meter.run(consumer.actor_name, consumer.handler, ctx, message)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sagas", type=int, default=300)
    args = parser.parse_args()
    _, redis_url = require_full_mode_env()
    with fresh_database("trinity_bench_saga_steps") as url:
        migrate(url)
        settings = Settings(
            mode=Mode.FULL,
            database_url=url,
            redis_url=redis_url.rsplit("/", 1)[0] + "/11",  # a Redis database of its own
            broker_url="amqp://unused",  # nothing is published: handlers are called directly
            broker_queue_prefix="bench_steps_",
        )
        ctx = build_context(settings)
        ctx.redis.flushdb()
        meter = StepMeter(ctx)
        drive(ctx, args.sagas, meter)
        total = 0.0
        for name, seconds in meter.cpu.items():
            calls = meter.calls[name]
            print(
                f"{name:28s} calls {calls:5d}  ms/call {1000 * seconds / calls:6.2f}  "
                f"statements/call {meter.statements[name] / calls:5.2f}  "
                f"ms/saga {1000 * seconds / args.sagas:6.2f}"
            )
            total += seconds
        print(f"total: {1000 * total / args.sagas:.2f} ms of CPU per saga ({args.sagas} sagas)")
        ctx.close()


if __name__ == "__main__":
    main()
