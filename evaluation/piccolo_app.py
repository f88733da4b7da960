from piccolo.conf.apps import AppConfig

from app.settings import PROJECT_ROOT
from evaluation.tables import (
    AwardDecision,
    AwardReport,
    BidOutcome,
    ConflictDeclaration,
    Consensus,
    Notice,
    PanelMember,
    Score,
    ScoreSheet,
    SignOff,
)

APP_CONFIG = AppConfig(
    app_name="evaluation",
    migrations_folder_path=str(PROJECT_ROOT / "migrations" / "evaluation"),
    table_classes=[
        PanelMember,
        ConflictDeclaration,
        Score,
        ScoreSheet,
        Consensus,
        SignOff,
        AwardReport,
        AwardDecision,
        Notice,
        BidOutcome,
    ],
    migration_dependencies=["tenders.piccolo_app"],
    commands=[],
)
