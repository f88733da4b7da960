"""Pages: a provider's receipt as a PDF to keep."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.params import FromPath

from app.dependencies import USER, UserDep
from app.web_support import pdf_download
from tenders.services import submissions


class ReceiptPages(Controller):
    include_in_schema = False
    dependencies = {"user": USER}

    @get("/bids/{bid_id:str}/submissions/{submission_id:str}/receipt.pdf")
    async def receipt_pdf(
        self, user: UserDep, bid_id: FromPath[str], submission_id: FromPath[str]
    ) -> Response:
        pdf = await submissions.receipt_pdf(user, bid_id, submission_id)
        return pdf_download(pdf, f"bid-receipt-{submission_id}.pdf")


CONTROLLERS: list[type[Controller]] = [ReceiptPages]
