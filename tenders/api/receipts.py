"""JSON API: a submission's receipt as a PDF."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.params import FromPath

from app.api_docs import BEARER, file_responses
from app.dependencies import USER, UserDep
from app.files import PDF
from app.web_support import pdf_download
from tenders.services import submissions


class ReceiptApi(Controller):
    tags = ["bids"]
    security = BEARER
    dependencies = {"user": USER}

    @get(
        "/bids/{bid_id:str}/submissions/{submission_id:str}/receipt.pdf",
        media_type=PDF,
        responses=file_responses(
            "The receipt (PDF/A): time received in UTC and UK time, the submission id and the "
            "SHA-256 seal",
            PDF,
        ),
    )
    async def receipt_pdf(
        self, user: UserDep, bid_id: FromPath[str], submission_id: FromPath[str]
    ) -> Response:
        """The receipt of one of the organisation's submissions as a PDF; the same bytes
        each time."""
        pdf = await submissions.receipt_pdf(user, bid_id, submission_id)
        return pdf_download(pdf, f"bid-receipt-{submission_id}.pdf")


CONTROLLERS: list[type[Controller]] = [ReceiptApi]
