"""The tables and the migrations must not drift apart: CI fails the moment they do."""

from __future__ import annotations

from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import Finder
from piccolo.table import Table

from app import database


def _app_configs():
    return Finder().get_app_registry().app_configs.values()


async def test_migrations_describe_every_table_exactly():
    """What `piccolo migrations new --auto` would write next must be nothing."""
    for app_config in _app_configs():
        statements = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config)
        pending = [line for alter in statements for line in alter.statements]
        assert pending == [], f"{app_config.app_name}: tables differ from migrations: {pending}"


async def _columns_in_database(table: type[Table]) -> set[str]:
    if database.is_sqlite():
        rows = await table.raw(f'PRAGMA table_info("{table._meta.tablename}")')
        return {row["name"] for row in rows}
    rows = await table.raw(
        "SELECT column_name FROM information_schema.columns WHERE table_name = {}",
        table._meta.tablename,
    )
    return {row["column_name"] for row in rows}


async def test_migrated_database_has_every_column_of_every_table():
    for app_config in _app_configs():
        for table in app_config.table_classes:
            expected = {column._meta.db_column_name for column in table._meta.columns}
            assert await _columns_in_database(table) == expected, table
