"""Pages: officers form each lot's evaluation panel from the council's own people and read
the tender's conflicts of interest record (rule 7).

For the council's officers (anyone else is refused by role); the services tell an officer
of another council that the tender is not found.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from app.accounts import CurrentUser
from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import Invalid, NotFound
from app.guards import officers_only
from app.platform import Platform
from app.web_support import render, render_invalid, see_other
from evaluation.services import panels
from evaluation.services.panels import LotPanel
from tenders.services.opening import council_tender
from tenders.services.views import TenderView
from tenders.vocabulary import TenderStatus

PANEL_FIELDS = ["evaluators", "moderator"]


def _base(tender_id: Any) -> str:
    return f"/tenders/{tender_id}"


async def _lot_panel(officer: CurrentUser, tender_id: str, lot_id: str) -> LotPanel:
    wanted = next(
        (p for p in await panels.panel(officer, tender_id) if str(p.lot_id) == lot_id), None
    )
    if wanted is None:
        raise NotFound()
    return wanted


async def _form_context(
    platform: Platform, officer: CurrentUser, tender_id: str, lot_panel: LotPanel
) -> dict[str, Any]:
    return {
        "tender": await council_tender(officer, tender_id),
        "panel": lot_panel,
        "people": await panels.candidates(officer),
    }


def _can_change(tender: TenderView) -> bool:
    """Panels are formed once the tender is published, and never for a cancelled one (the
    service says why when asked anyway)."""
    return tender.stored_status not in (TenderStatus.DRAFT, TenderStatus.CANCELLED)


class PanelPages(Controller):
    path = "/tenders/{tender_id:str}"
    include_in_schema = False
    guards = [officers_only]
    dependencies = {"platform": PLATFORM, "user": USER}

    @get("/panels")
    async def panels(self, request: Request, user: UserDep, tender_id: FromPath[str]) -> Template:
        lot_panels = await panels.panel(user, tender_id)
        tender = await council_tender(user, tender_id)
        return render(
            request,
            "evaluation/panels/panels.html",
            {"tender": tender, "panels": lot_panels, "can_change": _can_change(tender)},
        )

    @get("/lots/{lot_id:str}/panel")
    async def panel_form(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Template:
        lot_panel = await _lot_panel(user, tender_id, lot_id)
        values = {
            "evaluators": [str(member.user_id) for member in lot_panel.evaluators],
            "moderator": str(lot_panel.moderator.user_id) if lot_panel.moderator else "",
        }
        context = await _form_context(platform, user, tender_id, lot_panel)
        return render(request, "evaluation/panels/panel.html", {**context, "values": values})

    @post("/lots/{lot_id:str}/panel")
    async def assign(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        lot_id: FromPath[str],
    ) -> Response:
        form = await request.form()
        evaluators = [value for value in form.getall("evaluators", []) if isinstance(value, str)]
        moderator = form.get("moderator")
        moderator = moderator if isinstance(moderator, str) and moderator else None
        try:
            saved = await panels.assign(
                platform, user, tender_id, lot_id, evaluators=evaluators, moderator=moderator
            )
        except Invalid as error:
            lot_panel = await _lot_panel(user, tender_id, lot_id)
            return render_invalid(
                request,
                "evaluation/panels/panel.html",
                error,
                PANEL_FIELDS,
                {"evaluators": evaluators, "moderator": moderator or ""},
                await _form_context(platform, user, tender_id, lot_panel),
            )
        return see_other(
            f"{_base(tender_id)}/panels", flash=f"The panel for lot {saved.lot_number} is saved"
        )

    @get("/conflicts")
    async def conflicts(
        self, request: Request, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        records = await panels.conflicts_record(user, tender_id)
        tender = await council_tender(user, tender_id)
        return render(
            request, "evaluation/panels/conflicts.html", {"tender": tender, "records": records}
        )


CONTROLLERS: list[type[Controller]] = [PanelPages]
