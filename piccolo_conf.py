"""Piccolo's configuration: the engine named by CARETENDER_DATABASE_URL (SQLite by default)."""

from piccolo.conf.apps import AppRegistry

from app.database import make_engine
from app.settings import database_settings_from_env

DB = make_engine(database_settings_from_env())

APP_REGISTRY = AppRegistry(
    apps=["app.piccolo_app", "tenders.piccolo_app", "evaluation.piccolo_app"]
)
