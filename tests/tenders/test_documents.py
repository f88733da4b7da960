"""Tender documents: uploaded by the tender's officers into the content-addressed store,
checked for type and size before anything refers to them, emailed about when added after
publication, and downloaded as attachments, by anyone once the tender is published."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx

from app.tables import OutboxMessage
from tenders.services import addenda
from tenders.tables import TenderDocument, TenderRelease
from tests.app.test_files import docx_bytes, files_under, pdf_bytes, png_bytes, xlsx_bytes
from tests.app.test_uploads import multipart
from tests.conftest import (
    assert_form_refused,
    buyer_officer,
    csrf_token,
    html,
    provider_user,
    sign_in,
    title,
)
from tests.tenders.factories import DEADLINE, draft_tender, published_tender
from tests.tenders.test_clarifications import OFFICER, PROVIDER, interested_providers, mail_to

SPECIFICATION = "Service specification.pdf"


def stored(settings) -> list:
    """What the file store holds, finished or partial (the audit checkpoints live beside)."""
    return [path for path in files_under(settings.files_dir) if path.parts[0] in ("sha256", "tmp")]


async def upload(
    client: httpx.AsyncClient,
    tender_id,
    data: bytes,
    filename: str = SPECIFICATION,
    *,
    title_: str = "Service specification",
    kind: str = "specification",
    with_token: bool = True,
) -> httpx.Response:
    """Post the form the way a browser does: the CSRF token first, then the file."""
    page = f"/tenders/{tender_id}/documents/new"
    parts = []
    if with_token:
        parts.append(("_csrf_token", None, (await csrf_token(client, page)).encode()))
    parts += [("title", None, title_.encode()), ("kind", None, kind.encode())]
    parts.append(("document", filename, data))
    body, headers = multipart(parts)
    return await client.post(page, content=body, headers=headers)


async def test_an_officer_adds_a_document_to_a_draft_stored_under_its_digest(
    client, platform, settings
):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    form = await client.get(f"/tenders/{tender_id}/documents/new")
    assert form.status_code == 200
    assert title(form) == "Add a document \N{EN DASH} caretender"
    data = pdf_bytes()
    response = await upload(client, tender_id, data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/tenders/{tender_id}"

    digest = hashlib.sha256(data).hexdigest()
    [row] = await TenderDocument.select().where(TenderDocument.tender == tender_id)
    assert (row["sha256"], row["original_name"], row["content_type"], row["size"]) == (
        digest,
        SPECIFICATION,
        "application/pdf",
        len(data),
    )
    assert (row["kind"], row["addendum"]) == ("specification", False)
    stored = settings.files_dir / "sha256" / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == data
    assert await OutboxMessage.count().where(OutboxMessage.subject.like("New document%")) == 0


async def test_a_document_added_after_publication_is_an_addendum_every_follower_hears_of(
    client, platform, settings
):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    told = await interested_providers(platform, tender.id)
    await sign_in(client, OFFICER)
    response = await upload(
        client, tender.id, docx_bytes(), "Revised terms.docx", title_="Revised terms", kind="terms"
    )
    assert response.status_code == 303, response.text
    [row] = await TenderDocument.select().where(TenderDocument.tender == tender.id)
    assert row["addendum"] is True
    releases = TenderRelease.tender == tender.id, TenderRelease.tag == "tenderUpdate"
    assert await TenderRelease.count().where(*releases) == 1
    mail = await mail_to(f"New document for {tender.title}")
    assert [message["recipient"] for message in mail] == told
    assert all('"Revised terms"' in message["body"] for message in mail)
    assert all(f"/opportunities/{tender.id}" in message["body"] for message in mail)


async def test_a_spreadsheet_is_accepted_too(client, platform):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    response = await upload(client, tender_id, xlsx_bytes(), "Prices.xlsx", kind="other")
    assert response.status_code == 303


async def test_a_file_of_a_type_not_allowed_is_refused_and_nothing_is_kept(
    client, platform, settings
):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    response = await upload(client, tender_id, png_bytes(), "site plan.png")
    assert_form_refused(
        response,
        "document",
        "The selected file must be a PDF, Word document or Excel spreadsheet",
        {},
    )
    assert await TenderDocument.count() == 0
    assert stored(settings) == []


async def test_a_file_whose_contents_are_not_what_its_name_says_is_refused(
    client, platform, settings
):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    response = await upload(client, tender_id, png_bytes(), "specification.pdf")
    assert_form_refused(
        response, "document", "The file's contents do not match its .pdf extension", {}
    )
    assert await TenderDocument.count() == 0


async def test_a_document_over_50_mb_is_refused_and_nothing_is_kept(client, platform, settings):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    oversize = pdf_bytes() + b"\0" * (addenda.MAX_DOCUMENT_BYTES)
    response = await upload(client, tender_id, oversize)
    assert response.status_code == 413
    assert "The selected file must be smaller than 50 MB" in html(response).text_content()
    assert await TenderDocument.count() == 0
    assert stored(settings) == []


async def test_a_document_needs_a_title_and_a_kind(client, platform):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    response = await upload(client, tender_id, pdf_bytes(), title_="", kind="spreadsheet")
    assert_form_refused(response, "title", "Enter the document's title", {})
    assert "Select what kind of document it is" in html(response).text_content()
    assert await TenderDocument.count() == 0


async def test_an_upload_without_the_csrf_token_stores_nothing(client, platform, settings):
    officer = await buyer_officer(platform)
    tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    response = await upload(client, tender_id, pdf_bytes(), with_token=False)
    assert response.status_code == 403
    assert await TenderDocument.count() == 0
    assert stored(settings) == []


async def test_a_provider_cannot_add_a_document_nor_another_council(client, platform, settings):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    await provider_user(platform)
    await sign_in(client, PROVIDER)
    body, headers = multipart([("document", SPECIFICATION, pdf_bytes())])
    refused = await client.post(
        f"/tenders/{tender.id}/documents/new", content=body, headers=headers
    )
    assert refused.status_code == 403
    await buyer_officer(platform, "ravi@tamworth.example", "Tamworth Borough Council")
    await sign_in(client, "ravi@tamworth.example")
    assert (await client.get(f"/tenders/{tender.id}/documents/new")).status_code == 404
    hidden = await client.post(f"/tenders/{tender.id}/documents/new", content=body, headers=headers)
    assert hidden.status_code == 404
    assert await TenderDocument.count() == 0
    assert stored(settings) == []


async def test_a_closed_tender_takes_no_more_documents(client, platform, clock):
    officer = await buyer_officer(platform)
    tender = await published_tender(platform, officer)
    clock.instant = DEADLINE + timedelta(minutes=1)
    await sign_in(client, OFFICER)
    response = await client.get(f"/tenders/{tender.id}/documents/new")
    assert response.status_code == 409
    assert "so you cannot add documents to it" in html(response).text_content()


# Downloads ------------------------------------------------------------------------------


async def added(client, platform, *, publish: bool):
    officer = await buyer_officer(platform)
    if publish:
        tender_id = (await published_tender(platform, officer)).id
    else:
        tender_id = await draft_tender(platform, officer)
    await sign_in(client, OFFICER)
    data = pdf_bytes()
    response = await upload(client, tender_id, data, 'Spec "final"\u00a0été.pdf')
    assert response.status_code == 303, response.text
    [row] = await TenderDocument.select().where(TenderDocument.tender == tender_id)
    return tender_id, row["id"], data


async def test_anyone_downloads_a_published_tenders_document_as_an_attachment(
    client, other_client, platform
):
    tender_id, document_id, data = await added(client, platform, publish=True)
    response = await other_client.get(f"/opportunities/{tender_id}/documents/{document_id}")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        'attachment; filename="Spec _final___t_.pdf"; '
        "filename*=UTF-8''Spec%20%22final%22%C2%A0%C3%A9t%C3%A9.pdf"
    )


async def test_a_drafts_documents_are_not_public(client, other_client, platform):
    tender_id, document_id, data = await added(client, platform, publish=False)
    url = f"/opportunities/{tender_id}/documents/{document_id}"
    assert (await other_client.get(url)).status_code == 404
    await provider_user(platform)
    await sign_in(other_client, PROVIDER)
    assert (await other_client.get(url)).status_code == 404
    await buyer_officer(platform, "ravi@tamworth.example", "Tamworth Borough Council")
    await sign_in(other_client, "ravi@tamworth.example")
    assert (await other_client.get(url)).status_code == 404
    own = await client.get(url)
    assert own.status_code == 200
    assert own.content == data


async def test_an_unknown_document_is_not_found(client, platform):
    tender_id, _, _ = await added(client, platform, publish=True)
    other = "7d3f1b7e-2f0e-4c58-9d0a-1b2c3d4e5f60"
    assert (await client.get(f"/opportunities/{tender_id}/documents/{other}")).status_code == 404
    assert (await client.get(f"/opportunities/{tender_id}/documents/x")).status_code == 404
