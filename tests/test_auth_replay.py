"""The jti replay caches: in memory, and SQL on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from cds_service.auth.errors import AuthenticationError, AuthUnavailableError
from cds_service.auth.jwks import JwksCache
from cds_service.auth.replay import InMemoryReplayCache, ReplayCache, SqlReplayCache, replay_table
from cds_service.auth.settings import TrustedIssuers
from cds_service.auth.verifier import ClientJwtVerifier
from cds_service.db import make_engine
from tests.support.jwt_issuer import JwtIssuer
from tests.support.postgres import DATABASES, database_url_of

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


class UtcClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path: Path) -> Iterator[Engine]:
    with database_url_of(request.param, tmp_path / "replay.sqlite3") as url:
        engine = make_engine(url)
        replay_table.create(engine, checkfirst=True)
        yield engine
        engine.dispose()


@pytest.fixture
def issuer_id(engine: Engine) -> Iterator[str]:
    """A unique issuer per test, so runs sharing the PostgreSQL database never collide."""
    issuer = f"https://test-{uuid.uuid4().hex}.example.org"
    yield issuer
    with engine.begin() as connection:
        connection.execute(delete(replay_table).where(replay_table.c.issuer == issuer))


def rows(engine: Engine, issuer: str) -> int:
    with engine.connect() as connection:
        query = select(func.count()).where(replay_table.c.issuer == issuer)
        return connection.execute(query).scalar_one()


def concurrent_first_sightings(
    cache_for_thread: Callable[[int], ReplayCache], issuer: str = "https://ehr.example.org"
) -> list[bool]:
    """8 threads record the same jti at the same moment; returns each one's `seen_before`."""
    barrier = threading.Barrier(8)
    results: list[bool | BaseException] = []
    jti = str(uuid.uuid4())

    def record(n: int) -> None:
        cache = cache_for_thread(n)
        barrier.wait()
        try:
            results.append(cache.seen_before(issuer, jti, later(60)))
        except BaseException as error:  # surfaced by the assertion below
            results.append(error)

    threads = [threading.Thread(target=record, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(r, bool) for r in results), results
    return results  # type: ignore[return-value]


class TestInMemory:
    def test_second_sighting_is_a_replay(self):
        cache = InMemoryReplayCache(clock=UtcClock())
        assert cache.seen_before("iss-a", "j1", later(5)) is False
        assert cache.seen_before("iss-a", "j1", later(5)) is True
        assert cache.seen_before("iss-b", "j1", later(5)) is False

    def test_expired_entries_are_forgotten_and_pruned(self):
        clock = UtcClock()
        cache = InMemoryReplayCache(clock=clock, prune_every=2)
        cache.seen_before("iss", "old", later(1))
        clock.now = later(2)
        assert cache.seen_before("iss", "old", later(7)) is False
        cache.seen_before("iss", "a", later(1))  # already expired when recorded
        cache.seen_before("iss", "b", later(9))  # 4th insert: prunes
        assert len(cache) == 2

    def test_concurrent_same_jti_exactly_one_new(self):
        cache = InMemoryReplayCache(clock=UtcClock())
        assert sorted(concurrent_first_sightings(lambda _: cache)) == [False] + [True] * 7

    def test_naive_datetime_is_refused(self):
        with pytest.raises(ValueError, match="timezone"):
            InMemoryReplayCache().seen_before("iss", "j", datetime(2030, 1, 1))


class TestSql:
    def test_second_sighting_is_a_replay(self, engine, issuer_id):
        cache = SqlReplayCache(engine, clock=UtcClock())
        assert cache.seen_before(issuer_id, "j1", later(5)) is False
        assert cache.seen_before(issuer_id, "j1", later(5)) is True
        assert cache.seen_before(issuer_id + "/other", "j1", later(5)) is False
        assert rows(engine, issuer_id) == 1
        with engine.begin() as connection:
            connection.execute(
                delete(replay_table).where(replay_table.c.issuer.like(issuer_id + "%"))
            )

    def test_replicas_sharing_the_database_behave_as_one(self, engine, issuer_id):
        replica_a = SqlReplayCache(engine, clock=UtcClock())
        replica_b = SqlReplayCache(make_engine(engine.url.render_as_string(hide_password=False)))
        assert replica_a.seen_before(issuer_id, "shared", later(5)) is False
        assert replica_b.seen_before(issuer_id, "shared", later(5)) is True

    def test_an_expired_entry_may_be_taken_over(self, engine, issuer_id):
        clock = UtcClock()
        cache = SqlReplayCache(engine, clock=clock)
        assert cache.seen_before(issuer_id, "j", later(1)) is False
        clock.now = later(2)
        assert cache.seen_before(issuer_id, "j", later(7)) is False
        assert cache.seen_before(issuer_id, "j", later(7)) is True

    def test_prune_deletes_only_expired_rows(self, engine, issuer_id):
        clock = UtcClock()
        cache = SqlReplayCache(engine, clock=clock, prune_interval_seconds=10**9)
        cache.seen_before(issuer_id, "short", later(1))
        cache.seen_before(issuer_id, "long", later(90))
        clock.now = later(30)
        assert cache.prune() >= 1
        assert rows(engine, issuer_id) == 1
        assert cache.seen_before(issuer_id, "long", later(90)) is True

    def test_offsets_are_normalised(self, engine, issuer_id):
        clock = UtcClock()
        cache = SqlReplayCache(engine, clock=clock)
        minus_two = timezone(timedelta(hours=-2))
        # 12:30 UTC written as 10:30-02:00: still unexpired at 12:10 UTC.
        cache.seen_before(issuer_id, "tz", datetime(2030, 1, 1, 10, 30, tzinfo=minus_two))
        clock.now = later(10)
        assert cache.seen_before(issuer_id, "tz", later(40)) is True

    def test_concurrent_same_jti_exactly_one_new(self, engine, issuer_id):
        # Each thread its own engine (own connection pool), like separate replicas.
        engines = [make_engine(engine.url.render_as_string(hide_password=False)) for _ in range(8)]
        try:
            outcomes = concurrent_first_sightings(
                lambda n: SqlReplayCache(engines[n], clock=UtcClock()), issuer_id
            )
        finally:
            for extra in engines:
                extra.dispose()
        assert sorted(outcomes) == [False] + [True] * 7
        assert rows(engine, issuer_id) == 1

    def test_overlong_jti_is_refused_before_the_database(self, engine, issuer_id):
        with pytest.raises(ValueError):
            SqlReplayCache(engine).seen_before(issuer_id, "x" * 256, later(5))


def test_database_down_fails_closed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'replay.sqlite3'}")
    with pytest.raises(AuthUnavailableError, match="replay cache unavailable"):
        SqlReplayCache(engine).seen_before("iss", "j", later(5))


def test_verifier_with_sql_replay_cache(tmp_path):
    issuer = JwtIssuer()
    engine = make_engine(f"sqlite:///{tmp_path / 'service.sqlite3'}")
    replay_table.create(engine)
    trusted = TrustedIssuers.from_env_value(
        json.dumps({issuer.iss: str(issuer.write_jwks(tmp_path / "jwks.json"))})
    )
    aud = "https://cds.example.org/cds-services/x"
    token = issuer.mint(aud=aud)
    first = ClientJwtVerifier(JwksCache(trusted), SqlReplayCache(engine))
    second = ClientJwtVerifier(JwksCache(trusted), SqlReplayCache(engine))  # another worker
    first.verify(f"Bearer {token}", aud)
    with pytest.raises(AuthenticationError, match="replayed"):
        second.verify(f"Bearer {token}", aud)
