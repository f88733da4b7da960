from piccolo.conf.apps import AppConfig

from app.settings import PROJECT_ROOT
from tenders.tables import (
    Answer,
    Bid,
    BidPrice,
    Clarification,
    Evidence,
    Interest,
    Lot,
    PriceItem,
    Question,
    Section,
    Submission,
    Tender,
    TenderDocument,
    TenderRelease,
)

APP_CONFIG = AppConfig(
    app_name="tenders",
    migrations_folder_path=str(PROJECT_ROOT / "migrations" / "tenders"),
    table_classes=[
        Tender,
        Lot,
        Section,
        Question,
        PriceItem,
        TenderDocument,
        Interest,
        Clarification,
        TenderRelease,
        Bid,
        Answer,
        BidPrice,
        Evidence,
        Submission,
    ],
    migration_dependencies=["app.piccolo_app"],
    commands=[],
)
