"""The test-mode server clock (an offset in Redis on real time) and the rules that keep test mode
out of production."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import fakeredis
import pytest
from pydantic import ValidationError

from backend.clock import ServerClock
from backend.models import utcnow
from backend.settings import Mode, Settings

TOLERANCE = timedelta(seconds=1)


@pytest.fixture
def client() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)


def test_unmoved_it_is_real_utc_time(client: fakeredis.FakeRedis) -> None:
    now = ServerClock(client)()
    assert now.tzinfo is not None and abs(now - utcnow()) < TOLERANCE


def test_advances_add_up_and_time_keeps_flowing(client: fakeredis.FakeRedis) -> None:
    clock = ServerClock(client)
    clock.advance(600)
    moved = clock.advance(90.5)
    assert clock.offset_seconds() == pytest.approx(690.5)
    assert abs(moved - (utcnow() + timedelta(seconds=690.5))) < TOLERANCE
    time.sleep(0.05)
    assert clock() > moved


def test_every_clock_on_the_same_redis_reads_the_same_time(client: fakeredis.FakeRedis) -> None:
    """What makes the API, the workers and the sweeper agree: the offset lives in Redis."""
    ServerClock(client).advance(3600)
    assert ServerClock(client).offset_seconds() == pytest.approx(3600)


def test_set_to_an_instant_and_reset(client: fakeredis.FakeRedis) -> None:
    clock = ServerClock(client)
    target = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
    assert abs(clock.set_to(target) - target) < TOLERANCE
    naive = datetime(2030, 1, 1, 8, 30)  # taken as UTC
    assert abs(clock.set_to(naive) - naive.replace(tzinfo=UTC)) < TOLERANCE
    clock.reset()
    assert clock.offset_seconds() == 0.0 and abs(clock() - utcnow()) < TOLERANCE


def test_test_mode_is_off_by_default() -> None:
    assert Settings().test_mode is False


def test_test_mode_refuses_a_production_secret() -> None:
    with pytest.raises(ValidationError, match="production TRINITY_SECRET_KEY"):
        Settings(test_mode=True, secret_key="a-real-production-secret-0123456789")


def test_test_mode_runs_with_the_development_or_a_test_secret() -> None:
    assert Settings(test_mode=True).test_mode
    assert Settings(test_mode=True, secret_key="test-staging-42").test_mode


def test_full_mode_needs_an_explicit_opt_in() -> None:
    with pytest.raises(ValidationError, match="TRINITY_TEST_MODE_ALLOW_FULL=1"):
        Settings(mode=Mode.FULL, test_mode=True)
    assert Settings(mode=Mode.FULL, test_mode=True, test_mode_allow_full=True).test_mode


def test_the_opt_in_alone_turns_nothing_on() -> None:
    assert not Settings(mode=Mode.FULL, test_mode_allow_full=True).test_mode


def test_the_clock_only_advances_and_stays_within_ten_years(client: fakeredis.FakeRedis) -> None:
    from backend.errors import InvalidInput

    clock = ServerClock(client)
    with pytest.raises(InvalidInput, match="only advances"):
        clock.advance(-1)
    clock.advance(9 * 366 * 86400)
    with pytest.raises(InvalidInput, match="ten years"):
        clock.advance(2 * 366 * 86400)  # each advance fits, their sum does not
    with pytest.raises(InvalidInput, match="ten years"):
        clock.set_to(datetime(280, 9, 29, tzinfo=UTC))
    assert clock.offset_seconds() == pytest.approx(9 * 366 * 86400)
