"""Pages: a provider's receipt as a PDF to keep."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.params import FromPath

from app.dependencies import USER, UserDep
from tenders.services import submissions


def receipt_response(pdf: bytes, submission_id: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="bid-receipt-{submission_id}.pdf"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )


class ReceiptPages(Controller):
    include_in_schema = False
    dependencies = {"user": USER}

    @get("/bids/{bid_id:str}/submissions/{submission_id:str}/receipt.pdf")
    async def receipt_pdf(
        self, user: UserDep, bid_id: FromPath[str], submission_id: FromPath[str]
    ) -> Response:
        pdf = await submissions.receipt_pdf(user, bid_id, submission_id)
        return receipt_response(pdf, submission_id)


CONTROLLERS: list[type[Controller]] = [ReceiptPages]
