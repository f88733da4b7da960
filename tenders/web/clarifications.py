"""Pages: following tenders and asking about them (providers); answering questions,
extending deadlines, adding documents and cancelling (officers); downloading a tender's
documents (everyone, once it is published)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from app.dependencies import PLATFORM, USER, PlatformDep, UserDep
from app.errors import Invalid
from app.files import LocalFileStore, size_message, type_message
from app.guards import officers_only
from app.sessions import current_session
from app.templating import london_time
from app.uploads import FORM_OVERHEAD, csrf_check, read_multipart
from app.web_support import file_download, form_data, render, render_invalid, see_other
from tenders.services import addenda, clarifications
from tenders.services.authoring import own_tender

EXTEND_FIELDS = ["submission_deadline", "clarification_deadline"]
DOCUMENT_FIELDS = ["title", "kind", "document"]
KINDS = [{"value": str(kind), "text": kind.label} for kind in addenda.DOCUMENT_KINDS]


def _opportunity_path(tender_id: Any) -> str:
    return f"/opportunities/{tender_id}"


def _officer_path(tender_id: Any) -> str:
    return f"/tenders/{tender_id}"


def _with_status(template: Template, status_code: int) -> Template:
    template.status_code = status_code
    return template


class FollowingPages(Controller):
    """A provider follows tenders, asks about them, and sees the ones it follows."""

    include_in_schema = False
    dependencies = {"platform": PLATFORM, "user": USER}

    @post("/opportunities/{tender_id:str}/interest")
    async def register_interest(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        await clarifications.register_interest(platform, user, tender_id)
        return see_other(
            _opportunity_path(tender_id),
            flash="You are following this tender. We will email you about any changes to it",
        )

    @post("/opportunities/{tender_id:str}/interest/withdraw")
    async def withdraw_interest(
        self, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        await clarifications.withdraw_interest(platform, user, tender_id)
        return see_other("/my-opportunities", flash="You are no longer following that tender")

    @get("/my-opportunities")
    async def my_opportunities(
        self, request: Request, platform: PlatformDep, user: UserDep, page: FromQuery[int] = 1
    ) -> Template:
        listing = await clarifications.my_opportunities(platform, user, page)
        return render(request, "tenders/clarifications/my_opportunities.html", {"listing": listing})

    @get("/opportunities/{tender_id:str}/questions/new")
    async def ask_form(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await clarifications.question_target(platform, user, tender_id)
        return render(request, "tenders/clarifications/ask.html", {"tender": tender, "values": {}})

    @post("/opportunities/{tender_id:str}/questions/new")
    async def ask(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await form_data(request)
        try:
            await clarifications.ask_question(platform, user, tender_id, values)
        except Invalid as error:
            tender = await clarifications.public_tender(tender_id)
            return render_invalid(
                request,
                "tenders/clarifications/ask.html",
                error,
                ["question"],
                values,
                {"tender": tender},
            )
        return see_other(
            _opportunity_path(tender_id),
            flash="Your question has been sent. The answer will be published to every "
            "provider following this tender, without saying who asked",
        )


class ClarificationPages(Controller):
    """The officer's side of clarifications: every question, answering, publishing."""

    path = "/tenders/{tender_id:str}/clarifications"
    include_in_schema = False
    guards = [officers_only]
    dependencies = {"platform": PLATFORM, "user": USER}

    @get("/")
    async def questions(
        self, request: Request, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await own_tender(user, tender_id)
        records = await clarifications.questions_for_officer(user, tender_id)
        return render(
            request,
            "tenders/clarifications/questions.html",
            {
                "tender": tender,
                "waiting": [record for record in records if not record.published],
                "published": [record for record in records if record.published],
            },
        )

    @get("/{clarification_id:str}/answer")
    async def answer_form(
        self,
        request: Request,
        user: UserDep,
        tender_id: FromPath[str],
        clarification_id: FromPath[str],
    ) -> Template:
        tender, record = await clarifications.clarification_for_officer(
            user, tender_id, clarification_id
        )
        return render(
            request,
            "tenders/clarifications/answer.html",
            {
                "tender": tender,
                "record": record,
                "values": {"question": record.question, "answer": record.answer or ""},
            },
        )

    @post("/{clarification_id:str}/answer")
    async def answer(
        self,
        request: Request,
        platform: PlatformDep,
        user: UserDep,
        tender_id: FromPath[str],
        clarification_id: FromPath[str],
    ) -> Response:
        values = await form_data(request)
        try:
            await clarifications.answer_question(
                platform, user, tender_id, clarification_id, values
            )
        except Invalid as error:
            tender, record = await clarifications.clarification_for_officer(
                user, tender_id, clarification_id
            )
            return render_invalid(
                request,
                "tenders/clarifications/answer.html",
                error,
                ["question", "answer"],
                values,
                {"tender": tender, "record": record},
            )
        return see_other(
            f"{_officer_path(tender_id)}/clarifications",
            flash="The answer has been published and every interested provider emailed",
        )

    @get("/new")
    async def new_form(self, request: Request, user: UserDep, tender_id: FromPath[str]) -> Template:
        tender = await own_tender(user, tender_id)
        return render(request, "tenders/clarifications/new.html", {"tender": tender, "values": {}})

    @post("/new")
    async def publish(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await form_data(request)
        try:
            await clarifications.publish_clarification(platform, user, tender_id, values)
        except Invalid as error:
            tender = await own_tender(user, tender_id)
            return render_invalid(
                request,
                "tenders/clarifications/new.html",
                error,
                ["question", "answer"],
                values,
                {"tender": tender},
            )
        return see_other(
            f"{_officer_path(tender_id)}/clarifications",
            flash="The clarification has been published and every interested provider emailed",
        )


class AddendumPages(Controller):
    """After publication: extend the deadline, add documents, cancel."""

    path = "/tenders/{tender_id:str}"
    include_in_schema = False
    guards = [officers_only]
    dependencies = {"platform": PLATFORM, "user": USER}

    @get("/extend")
    async def extend_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await own_tender(user, tender_id)
        return render(
            request, "tenders/clarifications/extend.html", {"tender": tender, "values": {}}
        )

    @post("/extend")
    async def extend(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await form_data(request)
        try:
            tender = await addenda.extend_deadline(platform, user, tender_id, values)
        except Invalid as error:
            return render_invalid(
                request,
                "tenders/clarifications/extend.html",
                error,
                EXTEND_FIELDS,
                values,
                {"tender": await own_tender(user, tender_id)},
            )
        assert tender.submission_deadline is not None
        return see_other(
            _officer_path(tender_id),
            flash=f"The deadline is now {london_time(tender.submission_deadline)}. "
            "Every interested provider has been emailed",
        )

    @get("/documents/new")
    async def document_form(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await addenda.document_target(platform, user, tender_id)
        return render(request, "tenders/clarifications/document.html", _document_context(tender))

    @post(
        "/documents/new",
        # The upload streams into the store; the reader checks the CSRF token itself.
        opt={"exclude_from_csrf": True},
        request_max_body_size=addenda.MAX_DOCUMENT_BYTES + FORM_OVERHEAD,
    )
    async def add_document(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        tender = await addenda.document_target(platform, user, tender_id)
        fields: dict[str, str] = {}
        try:
            upload = await read_multipart(
                request,
                file_field="document",
                store=LocalFileStore(platform.settings.files_dir),
                max_bytes=addenda.MAX_DOCUMENT_BYTES,
                allowed=addenda.DOCUMENT_FILE_TYPES,
                csrf_secret_check=csrf_check(request),
            )
            fields = upload.fields
            document = await addenda.add_document(platform, user, tender_id, fields, upload.file)
        except Invalid as error:
            page = render_invalid(
                request,
                "tenders/clarifications/document.html",
                error,
                DOCUMENT_FIELDS,
                fields,
                _document_context(tender),
            )
            return _with_status(page, error.status_code)
        told = " and every interested provider emailed" if document.addendum else ""
        return see_other(_officer_path(tender_id), flash=f"{document.title} has been added{told}")

    @get("/cancel")
    async def cancel_form(
        self, request: Request, user: UserDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await own_tender(user, tender_id)
        return render(
            request, "tenders/clarifications/cancel.html", {"tender": tender, "values": {}}
        )

    @post("/cancel")
    async def cancel(
        self, request: Request, platform: PlatformDep, user: UserDep, tender_id: FromPath[str]
    ) -> Response:
        values = await form_data(request)
        try:
            await addenda.cancel_tender(platform, user, tender_id, values)
        except Invalid as error:
            return render_invalid(
                request,
                "tenders/clarifications/cancel.html",
                error,
                ["reason"],
                values,
                {"tender": await own_tender(user, tender_id)},
            )
        return see_other(
            _officer_path(tender_id),
            flash="The tender has been cancelled and every interested provider emailed",
        )


def _document_context(tender: Any) -> dict[str, Any]:
    return {
        "tender": tender,
        "values": {},
        "kinds": KINDS,
        "file_hint": (
            f"{type_message(addenda.DOCUMENT_FILE_TYPES).replace('The selected file', 'It')}. "
            f"{size_message(addenda.MAX_DOCUMENT_BYTES).replace('The selected file', 'It')}"
        ),
    }


class DocumentDownloads(Controller):
    include_in_schema = False
    dependencies = {"platform": PLATFORM}

    @get("/opportunities/{tender_id:str}/documents/{document_id:str}")
    async def download(
        self,
        request: Request,
        platform: PlatformDep,
        tender_id: FromPath[str],
        document_id: FromPath[str],
    ) -> Stream:
        session = current_session(request)
        document = await addenda.document_for_download(
            session.user if session else None, tender_id, document_id
        )
        return file_download(
            platform.files,
            document.sha256,
            original_name=document.original_name,
            content_type=document.content_type,
            size=document.size,
        )


CONTROLLERS: list[type[Controller]] = [
    FollowingPages,
    ClarificationPages,
    AddendumPages,
    DocumentDownloads,
]
