from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-11-24T05:01:17:137230"
VERSION = "1.38.0"
DESCRIPTION = "tender statuses award_approved and awarded"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tenders", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Tender",
        tablename="tender",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "TenderStatus",
                {
                    "DRAFT": "draft",
                    "PUBLISHED": "published",
                    "CLOSED": "closed",
                    "OPENED": "opened",
                    "EVALUATING": "evaluating",
                    "MODERATED": "moderated",
                    "AWARD_APPROVED": "award_approved",
                    "AWARDED": "awarded",
                    "CANCELLED": "cancelled",
                },
            )
        },
        old_params={
            "choices": Enum(
                "TenderStatus",
                {
                    "DRAFT": "draft",
                    "PUBLISHED": "published",
                    "CLOSED": "closed",
                    "OPENED": "opened",
                    "EVALUATING": "evaluating",
                    "MODERATED": "moderated",
                    "CANCELLED": "cancelled",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
