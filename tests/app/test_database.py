"""The embedded database is set up for many readers and one writer at a time."""

from __future__ import annotations

import asyncio

import pytest

from app import database
from app.tables import Organisation
from app.vocabulary import OrganisationKind
from tests.conftest import START

sqlite_only = pytest.mark.skipif(
    not database.is_sqlite(), reason="SQLite's journal and locking; PostgreSQL has neither"
)


@sqlite_only
async def test_sqlite_runs_in_wal_mode_so_readers_never_wait_for_a_writer():
    rows = await Organisation.raw("PRAGMA journal_mode")
    assert rows == [{"journal_mode": "wal"}]


async def test_many_simultaneous_write_transactions_all_commit():
    async def write(n: int) -> None:
        async with database.write_transaction():
            await Organisation.insert(
                Organisation(name=f"Council {n}", kind=OrganisationKind.BUYER, created_at=START)
            )
            # Yield inside the transaction, as real work does, to let the others pile up.
            await asyncio.sleep(0)

    await asyncio.gather(*(write(n) for n in range(40)))
    assert await Organisation.count() == 40


async def _insert_then_fail(nested: bool) -> None:
    async with database.write_transaction():
        if nested:
            async with database.write_transaction():
                await Organisation.insert(
                    Organisation(name="Inner", kind=OrganisationKind.BUYER, created_at=START)
                )
        else:
            await Organisation.insert(
                Organisation(name="Half made", kind=OrganisationKind.BUYER, created_at=START)
            )
        raise RuntimeError("interrupted")


async def test_a_failed_write_transaction_leaves_nothing_behind():
    with pytest.raises(RuntimeError):
        await _insert_then_fail(nested=False)
    assert await Organisation.count() == 0


async def test_a_nested_write_joins_the_transaction_already_open():
    with pytest.raises(RuntimeError):
        await _insert_then_fail(nested=True)
    assert await Organisation.count() == 0


@sqlite_only
async def test_sqlite_connections_are_reused_and_never_handed_on_mid_transaction():
    engine = database.engine()
    await Organisation.count()
    idle = list(engine._idle)
    assert idle, "a finished query leaves its connection for the next"
    await Organisation.count()
    assert engine._idle == idle, "the next query took the same connection back"
    connection = await engine.acquire()
    await connection.execute("BEGIN")
    await engine.release(connection)
    assert connection not in engine._idle
