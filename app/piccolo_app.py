from piccolo.conf.apps import AppConfig

from app.settings import PROJECT_ROOT
from app.tables import (
    AuditEvent,
    Organisation,
    OutboxMessage,
    RevokedSession,
    SignInAttempt,
    User,
)

APP_CONFIG = AppConfig(
    app_name="app",
    migrations_folder_path=str(PROJECT_ROOT / "migrations" / "app"),
    table_classes=[Organisation, User, SignInAttempt, RevokedSession, AuditEvent, OutboxMessage],
    migration_dependencies=[],
    commands=[],
)
