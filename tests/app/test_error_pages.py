"""An unexpected failure shows a plain GOV.UK-style page (or JSON on the API), never a
traceback, and is logged for the team."""

from __future__ import annotations

from litestar import get


@get("/boom", include_in_schema=False)
async def boom() -> str:
    raise RuntimeError("database fell over")


@get("/api/v1/boom", include_in_schema=False)
async def api_boom() -> str:
    raise RuntimeError("database fell over")


async def test_an_unexpected_error_shows_the_service_problem_page(app, client, caplog):
    app.register(boom)
    response = await client.get("/boom")
    assert response.status_code == 500
    assert "<title>Sorry, there is a problem with the service" in response.text
    assert "database fell over" not in response.text
    assert "Traceback" not in response.text
    assert "database fell over" in caplog.text
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_an_unexpected_api_error_is_json_without_details(app, client):
    app.register(api_boom)
    response = await client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json() == {
        "status": 500,
        "message": "Sorry, there is a problem with the service",
    }
