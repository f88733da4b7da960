"""The database engine and write transactions.

SQLite allows one writer at a time: writes take a process-wide lock and open ``BEGIN
IMMEDIATE``, so a transaction never has to upgrade from a read lock (which is where
"database is locked" comes from). PostgreSQL writers run concurrently.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from app.settings import DatabaseSettings


def make_engine(database: DatabaseSettings) -> Engine:
    if database.is_sqlite:
        Path(database.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=database.sqlite_path, timeout=database.sqlite_timeout)
    return PostgresEngine(config={"dsn": database.url})


def engine() -> Engine:
    from piccolo.conf.apps import Finder

    found = Finder().get_engine()
    assert found is not None, "piccolo_conf.py defines no DB"
    return found


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


async def start(database: Engine | None = None) -> bool:
    """At start-up: WAL on SQLite (it persists in the file), the pool on PostgreSQL.

    Returns whether it opened a pool, which the caller then closes with ``stop()``.
    """
    db = database or engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA journal_mode=WAL")
    elif isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=1, max_size=10)
        return True
    return False


async def stop(database: Engine | None = None) -> None:
    db = database or engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


_write_lock: asyncio.Lock | None = None
AfterCommit = Callable[[], Awaitable[None]]
_after_commit: contextvars.ContextVar[list[AfterCommit] | None] = contextvars.ContextVar(
    "after_commit", default=None
)


def after_commit(callback: AfterCommit) -> None:
    """Run ``callback`` once the current write transaction has committed."""
    callbacks = _after_commit.get()
    assert callbacks is not None, "after_commit() needs an open write_transaction()"
    callbacks.append(callback)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for writes; a nested call joins the one already open."""
    global _write_lock
    db = engine()
    if _after_commit.get() is not None:
        yield
        return
    callbacks: list[AfterCommit] = []
    token = _after_commit.set(callbacks)
    try:
        if isinstance(db, SQLiteEngine):
            if _write_lock is None:
                _write_lock = asyncio.Lock()
            async with (
                _write_lock,
                db.transaction(transaction_type=TransactionType.immediate),
            ):
                yield
        else:
            async with db.transaction():
                yield
    finally:
        _after_commit.reset(token)
    for callback in callbacks:
        await callback()
