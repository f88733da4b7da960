"""The database engine and write transactions.

SQLite allows one writer at a time: writes take a process-wide lock and open ``BEGIN
IMMEDIATE``, so a transaction never has to upgrade from a read lock (which is where
"database is locked" comes from). PostgreSQL writers run concurrently.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.querystring import QueryString
from piccolo.table import Table

from app.settings import DatabaseSettings


class _Pooled:
    """An aiosqlite connection whose ``close()`` puts it back in the pool."""

    def __init__(self, connection: aiosqlite.Connection, pool: PooledSQLiteEngine) -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_pool", pool)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)

    async def close(self) -> None:
        await self._pool.release(self._connection)


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine opens a connection, and aiosqlite a thread, for every query
    outside a transaction and for every transaction; this one keeps idle connections."""

    MAX_IDLE = 8

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._idle: list[aiosqlite.Connection] = []

    async def acquire(self) -> aiosqlite.Connection:
        if self._idle:
            return self._idle.pop()
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def release(self, connection: aiosqlite.Connection) -> None:
        # Never hand on a connection left inside a transaction.
        if connection.in_transaction or len(self._idle) >= self.MAX_IDLE:
            await connection.close()
        else:
            self._idle.append(connection)

    async def close_idle(self) -> None:
        while self._idle:
            await self._idle.pop().close()

    async def get_connection(self) -> Any:
        return _Pooled(await self.acquire(), self)

    def _one_call(self, query_type: str) -> bool:
        # Before SQLite 3.35 an insert has no RETURNING: Piccolo's own path then asks for
        # the new row's id on the cursor.
        return query_type != "insert" or self.get_version_sync() >= 3.35

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if not self._one_call(query_type):
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self.acquire()
        try:
            # One trip to aiosqlite's thread, where Piccolo's path takes four.
            rows = await connection.execute_fetchall(query, args or [])
            if connection.in_transaction:  # sqlite3 began one for a write
                await connection.commit()
            return rows
        finally:
            await self.release(connection)

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if not self._one_call(query_type):
            return await super()._run_in_existing_connection(
                connection, query, args, query_type, table
            )
        # Piccolo's path also sets foreign_keys here, a no-op inside a transaction:
        # acquire() set it when the connection opened.
        return await connection.execute_fetchall(query, args or [])


def make_engine(database: DatabaseSettings) -> Engine:
    if database.is_sqlite:
        Path(database.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        return PooledSQLiteEngine(path=database.sqlite_path, timeout=database.sqlite_timeout)
    return PostgresEngine(config={"dsn": database.url})


def engine() -> Engine:
    from piccolo.conf.apps import Finder

    found = Finder().get_engine()
    assert found is not None, "piccolo_conf.py defines no DB"
    return found


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of a raw query (``{}`` marks each argument), inside the current
    transaction if there is one. For hot paths, where building a query with Piccolo
    costs more than running it."""
    rows = await engine().run_querystring(QueryString(sql, *args))
    return [row if isinstance(row, dict) else dict(row) for row in rows]


async def insert(table: type[Table], row: Mapping[str, Any]) -> None:
    """Insert one row, its values by column name, as ``fetch`` runs a query: for hot
    paths. Columns left out take the database's default."""
    names = ", ".join(row)
    marks = ", ".join(["{}"] * len(row))
    sql = f"INSERT INTO {table._meta.tablename} ({names}) VALUES ({marks})"  # noqa: S608
    await fetch(sql, *row.values())


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


async def stop(opened: bool, database: Engine | None = None) -> None:
    """At shutdown: close SQLite's idle connections (their threads would keep the process
    alive), and the PostgreSQL pool if ``start()`` opened it."""
    db = database or engine()
    if isinstance(db, PooledSQLiteEngine):
        await db.close_idle()
    elif opened and isinstance(db, PostgresEngine) and db.pool is not None:
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
