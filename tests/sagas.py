"""Saga test support: a context with its own broker queues, a running relay + worker, waits.

Local mode: StubBroker + in-process dramatiq Worker. Full mode: the real RabbitMQ (BROKER_URL),
Postgres and Redis; each harness uses queues of its own (a unique prefix) and deletes them after.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from argon2 import PasswordHasher
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from factories import make_hotel, stay
from modes import reset_full
from pika.exceptions import AMQPError
from sqlmodel import col, select

from backend.bootstrap import build_context
from backend.context import Context
from backend.db import transaction
from backend.models import Booking, Order, OrderEvent, OutboxMessage, Payment, User
from backend.saga.invariants import InvariantReport, check_invariants
from backend.saga.order_state import is_terminal
from backend.saga.relay import OutboxRelay
from backend.saga.topology import QUEUES, queue_name
from backend.services import auth
from backend.services.booking import HoldRequest, hold_room
from backend.services.checkout import CheckoutRequest, checkout
from workers.saga import start_worker

SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
NO_FUNDS_CARD = "4000000000009995"


@functools.cache
def _password_hash() -> str:
    return PasswordHasher().hash("correct horse battery")


def fast_user(ctx: Context, email: str) -> tuple[str, int]:
    """Like factories.make_user, without hashing a password per user (argon2 costs ~0.5 s here)."""
    with transaction(ctx.engine) as session:
        user = session.exec(select(User).where(User.email == email)).first() or User(
            email=email, name="Guest", password_hash=_password_hash()
        )
        session.add(user)
    return auth.issue_token(ctx, user), user.id or 0


class SagaHarness:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.stop_event = threading.Event()
        self.relay_thread: threading.Thread | None = None
        self.worker: dramatiq.Worker | None = None
        self.tokens: dict[int, str] = {}  # user id -> bearer token, for API calls
        self.users: dict[str, int] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, *, relay: bool = True, worker: bool = True) -> SagaHarness:
        if relay and self.relay_thread is None:
            self.relay = OutboxRelay(self.ctx)
            self.relay_thread = threading.Thread(
                target=self.relay.run, args=(self.stop_event,), daemon=True
            )
            self.relay_thread.start()
        if worker and self.worker is None:
            self.worker = start_worker(self.ctx)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self.relay_thread:
            self.relay_thread.join(timeout=10)
        if self.worker:
            self.worker.stop(timeout=10_000)

    # -- data --------------------------------------------------------------------------------
    def held_booking(self, *, rooms: int = 1, nights: int = 2, email: str | None = None) -> Booking:
        _, room_type_id = make_hotel(self.ctx, rooms=rooms, price="120.00")
        return self.hold(room_type_id, nights=nights, email=email)

    def hold(self, room_type_id: int, *, nights: int = 2, email: str | None = None) -> Booking:
        user_id = self._user(email or "guest@example.com")
        check_in, check_out = stay(nights=nights)
        return hold_room(self.ctx, HoldRequest(user_id, room_type_id, check_in, check_out, 2))

    def _user(self, email: str) -> int:
        if email not in self.users:
            token, user_id = fast_user(self.ctx, email)
            self.users[email], self.tokens[user_id] = user_id, token
        return self.users[email]

    def checkout(self, booking: Booking, card: str = SUCCESS_CARD) -> int:
        order = checkout(self.ctx, CheckoutRequest(booking.user_id, booking.id or 0, card))
        return order.id or 0

    def expire(self, booking: Booking) -> None:
        """Push the hold past its deadline and let the sweeper's expiry release its rooms."""
        from backend.services.booking import expire_holds

        with transaction(self.ctx.engine) as session:
            row = session.get(Booking, booking.id)
            assert row is not None
            row.hold_expires_at = self.ctx.clock() - timedelta(seconds=1)
            session.add(row)
        assert expire_holds(self.ctx) >= 1

    # -- observation ---------------------------------------------------------------------------
    def order(self, order_id: int) -> Order:
        with transaction(self.ctx.engine) as session:
            order = session.get(Order, order_id)
        assert order is not None
        return order

    def timeline(self, order_id: int) -> list[str]:
        with transaction(self.ctx.engine) as session:
            rows = session.exec(
                select(OrderEvent)
                .where(OrderEvent.order_id == order_id)
                .order_by(col(OrderEvent.id))
            ).all()
        return [row.type for row in rows]

    def payments(self, order_id: int) -> list[Payment]:
        with transaction(self.ctx.engine) as session:
            return list(session.exec(select(Payment).where(Payment.order_id == order_id)).all())

    def booking(self, booking_id: int) -> Booking:
        with transaction(self.ctx.engine) as session:
            booking = session.get(Booking, booking_id)
        assert booking is not None
        return booking

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")

    def wait_terminal(self, *order_ids: int, timeout: float = 20.0) -> list[Order]:
        def all_terminal() -> list[Order] | None:
            orders = [self.order(i) for i in order_ids]
            return orders if all(is_terminal(o.status) for o in orders) else None

        return self.wait_for(all_terminal, timeout, f"orders {order_ids} to settle")  # type: ignore[no-any-return]

    def wait_quiet(self, timeout: float = 20.0) -> None:
        """Outbox drained and every queue (and its delay queue) empty, twice in a row."""

        def quiet() -> bool:
            with transaction(self.ctx.engine) as session:
                unsent = session.exec(
                    select(OutboxMessage.id).where(OutboxMessage.published_at == None)  # noqa: E711
                ).first()
            return unsent is None and self._queues_empty()

        self.wait_for(quiet, timeout, "the saga to go quiet")
        time.sleep(0.2)
        self.wait_for(quiet, timeout, "the saga to go quiet")
        if self.worker:
            self.worker.join()

    def _queues_empty(self) -> bool:
        broker = self.ctx.broker
        names = [queue_name(self.ctx.settings, q) for q in QUEUES]
        if hasattr(broker, "get_queue_message_counts"):
            return all(sum(broker.get_queue_message_counts(n)[:2]) == 0 for n in names)
        queues = broker.queues  # StubBroker: name -> queue.Queue
        return all(
            queues[n].unfinished_tasks == 0 and queues[n + ".DQ"].unfinished_tasks == 0
            for n in names
            if n in queues
        )

    def invariants(self, **kwargs: Any) -> InvariantReport:
        report = check_invariants(self.ctx, **kwargs)
        assert report.ok, report.summary()
        return report


def _delete_queues(ctx: Context) -> None:
    broker = ctx.broker
    if not isinstance(broker, RabbitmqBroker):
        return
    try:
        for queue in QUEUES:
            name = queue_name(ctx.settings, queue)
            for suffix in ("", ".DQ", ".XQ"):
                broker.channel.queue_delete(name + suffix)
    except AMQPError:
        pass  # the broker is down (a test made it so): nothing to clean


@pytest.fixture
def saga_factory(
    mode: str, settings_factory: Callable[..., Any]
) -> Iterator[Callable[..., SagaHarness]]:
    made: list[SagaHarness] = []

    def make(**overrides: Any) -> SagaHarness:
        overrides.setdefault("broker_queue_prefix", f"test_{uuid.uuid4().hex[:8]}_")
        overrides.setdefault("worker_threads", 4)
        overrides.setdefault("relay_poll_seconds", 0.5)
        ctx = build_context(settings_factory(**overrides))
        if mode == "full":
            reset_full(ctx)
        harness = SagaHarness(ctx)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.stop()
        _delete_queues(harness.ctx)
        harness.ctx.broker.close()
        harness.ctx.close()


@pytest.fixture
def saga(saga_factory: Callable[..., SagaHarness]) -> SagaHarness:
    return saga_factory()


RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PrivateRabbitMQ:
    """A RabbitMQ node of one test's own, to stop and start at will (never the shared server).

    Set up as scripts/services.sh does: the scripts in /usr/lib/rabbitmq/bin run directly with
    HOME, mnesia, logs and config in a directory of ours, a unique node name, and free ports for
    AMQP, distribution and epmd (so `epmd -kill` stops our epmd only). Its data survives a
    stop/start, like a real server's restart.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.amqp_port, dist_port, epmd_port = _free_ports(3)
        self.node = f"trinity_test_{uuid.uuid4().hex[:8]}@localhost"
        for sub in ("home", "mnesia", "log"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "rabbitmq.conf").write_text("log.console = false\nlog.file.level = warning\n")
        (root / "enabled_plugins").write_text("[].\n")
        (root / "advanced.config").write_text("[].\n")
        local_dist = "-kernel inet_dist_use_interface {127,0,0,1}"
        self.env = {
            **os.environ,
            "HOME": str(root / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "ERL_EPMD_PORT": str(epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(root / "log"),
            "RABBITMQ_PID_FILE": str(root / "rabbit.pid"),
            "RABBITMQ_CONFIG_FILE": str(root / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(root / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": "/dev/null",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": local_dist,
            "RABBITMQ_CTL_ERL_ARGS": local_dist,
        }
        self.url = f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> float:
        """Start the node; returns the seconds until AMQP accepted connections."""
        started = time.monotonic()
        log = (self.root / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while not _port_open(self.amqp_port):
            if self.process.poll() is not None or time.monotonic() - started > timeout:
                tail = (self.root / "stdout.log").read_text(errors="replace")[-2000:]
                raise AssertionError(f"private RabbitMQ did not start:\n{tail}")
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pid_file = str(self.root / "rabbit.pid")
        command = [str(RABBIT_BIN / "rabbitmqctl"), "-q", "-n", self.node, "stop", pid_file]
        subprocess.run(command, env=self.env, timeout=60, check=False, capture_output=True)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        assert not _port_open(self.amqp_port)

    def close(self) -> None:
        self.stop()
        # epmd outlives the node; ERL_EPMD_PORT in our environment makes this kill our epmd only.
        subprocess.run(
            ["epmd", "-kill"], env=self.env, timeout=10, check=False, capture_output=True
        )


@pytest.fixture
def private_rabbitmq(
    mode: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrivateRabbitMQ]:
    if mode != "full":
        pytest.skip("a broker to restart exists in full mode only")
    node = PrivateRabbitMQ(tmp_path_factory.mktemp("rabbitmq"))
    node.start()
    try:
        yield node
    finally:
        node.close()
