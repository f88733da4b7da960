"""Security headers and cookie attributes on every type of response (issue 8, part 6):
pages, redirects, error pages (403, 404, 409), forms refused, file downloads (PDF, zip),
the JSON API and its errors, open data, static files and the health check. One journey
through the award makes each; every response it gets is checked."""

from __future__ import annotations

import httpx

from app.clock import FixedClock
from app.platform import Platform
from app.security import HEADERS
from evaluation.services import awards, notices
from tests.conftest import bearer, post_form, sign_in
from tests.evaluation.factories import agree_everything, evaluation, score_everything
from tests.evaluation.test_notices import BEFORE_CHRISTMAS

#: What every cookie the platform sets must say: this host only, HTTPS only, out of reach
#: of scripts, and not sent on cross-site requests other than top-level navigation.
COOKIE_PREFIX = "__Host-"
DOWNLOAD_TYPES = ("application/pdf", "application/zip")
#: What anyone may read, and so may be kept in shared caches: static files and open data.
#: Everything else may show personal data or sealed bids, and is never stored.
PUBLIC = ("/static/", "/ocds/")


def cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    name, _, rest = header.partition("=")
    attributes = {
        key.strip().lower(): value.strip()
        for key, _, value in (part.partition("=") for part in rest.split(";")[1:])
    }
    return name, attributes


def problems(response: httpx.Response) -> list[str]:
    """What is wrong with one response's headers and cookies; nothing when all is well."""
    where = f"{response.request.method} {response.request.url.path} {response.status_code}"
    found = [
        f"{where}: {name} is {response.headers.get(name)!r}"
        for name, value in HEADERS.items()
        if response.headers.get(name) != value
    ]
    for header in response.headers.get_list("set-cookie"):
        name, attributes = cookie_attributes(header)
        if not name.startswith(COOKIE_PREFIX):
            found.append(f"{where}: cookie {name} has no {COOKIE_PREFIX} prefix")
        if "secure" not in attributes or "httponly" not in attributes:
            found.append(f"{where}: cookie {name} is not Secure and HttpOnly")
        if attributes.get("samesite", "").lower() not in ("lax", "strict"):
            found.append(f"{where}: cookie {name} has SameSite {attributes.get('samesite')}")
        if attributes.get("path") != "/" or "domain" in attributes:
            found.append(f"{where}: cookie {name} is not for this host's whole site only")
    kind = response.headers.get("content-type", "")
    path = response.request.url.path
    if kind.startswith(DOWNLOAD_TYPES):
        if not response.headers.get("content-disposition", "").startswith("attachment"):
            found.append(f"{where}: a {kind} download is not an attachment")
        if "no-cache" not in response.headers.get("cache-control", ""):
            found.append(f"{where}: a download may be cached")
    elif not path.startswith(PUBLIC) and response.headers.get("cache-control") != "no-store":
        found.append(f"{where}: cache-control is {response.headers.get('cache-control')!r}")
    return found


async def test_every_kind_of_response_has_the_headers_and_every_cookie_its_attributes(
    client: httpx.AsyncClient, platform: Platform, clock: FixedClock
) -> None:
    seen: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        seen.append(response)

    client.event_hooks["response"].append(keep)
    setup = await evaluation(platform, clock)
    for evaluator in setup.evaluators:
        await score_everything(platform, setup, evaluator)
    await agree_everything(platform, setup)
    report = await awards.make_report(platform, setup.officer, setup.tender.id)
    await awards.approve(
        platform, setup.officer, setup.tender.id, report_sha256=report.sha256, reasons="Best"
    )
    clock.instant = BEFORE_CHRISTMAS
    await notices.issue(platform, setup.officer, setup.tender.id)
    award = f"/tenders/{setup.tender.id}/award"
    provider = setup.providers[0]
    [summary, *_] = await notices.notice_files(provider, setup.tender.id)

    # A visitor: public pages, open data, static files, the health check, redirects, 404s,
    # and a form posted without its CSRF token.
    for path in (
        "/",
        "/opportunities",
        f"/opportunities/{setup.tender.id}",
        "/ocds/release-package.json",
        "/static/caretender.css",
        "/healthz",
        "/account",
        "/no-such-page",
        "/schema/openapi.json",
    ):
        await client.get(path)
    await client.post("/sign-in", data={"email": provider.email})
    # The officer: pages (which set and clear the flash cookie), a refusal on the page
    # itself (409), downloads of a PDF and a zip, sign-out.
    await sign_in(client, setup.officer.email)
    await client.get(award)
    await client.get(f"{award}/reports/{report.id}.pdf")
    await client.get(f"{award}/decision-record")
    await post_form(client, f"{award}/confirm", {}, page=award)
    await post_form(client, "/sign-out", {}, page="/account")
    # An evaluator refused (403); a provider's decision page and notice download.
    await sign_in(client, setup.evaluators[0].email)
    await client.get(award)
    await post_form(client, "/sign-out", {}, page="/account")
    await sign_in(client, provider.email)
    bid = setup.bid_ids[0]
    await client.get(f"/bids/{bid}/decision")
    await client.get(f"/bids/{bid}/notices/{summary.id}")
    # The API: a token, JSON, a download, and its errors.
    headers = await bearer(client, provider.email)
    await client.get(f"/api/v1/bids/{bid}/decision", headers=headers)
    await client.get(f"/api/v1/bids/{bid}/notices/{summary.id}", headers=headers)
    await client.get(f"/api/v1/bids/{setup.bid_ids[1]}/decision", headers=headers)
    await client.get("/api/v1/me")
    await client.post("/api/v1/tokens", json={"email": "x"})

    statuses = {response.status_code for response in seen}
    assert {200, 303, 400, 401, 403, 404, 409} <= statuses, statuses
    kinds = {response.headers.get("content-type", "").split(";")[0] for response in seen}
    assert {"text/html", "application/json", "application/pdf", "application/zip"} <= kinds
    assert {"text/css"} & kinds
    assert any(r.headers.get_list("set-cookie") for r in seen)
    assert [problem for response in seen for problem in problems(response)] == []
