"""What every API controller declares for the OpenAPI document: the bearer scheme and the
error responses a handler can give."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme

from app.error_handlers import MESSAGES
from app.schemas import Error

BEARER = [{"bearer": []}]
#: Every call can be malformed; calls with a bearer token can also meet these.
SIGNED_IN_ERRORS = (400, 401, 403)

SECURITY_COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="A token from POST /api/v1/tokens",
        )
    }
)


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The error responses a handler can give, all of them ``Error``."""
    return {
        status: ResponseSpec(data_container=Error, description=MESSAGES[status])
        for status in statuses
    }


def file_responses(description: str, media_type: str, *errors: int) -> dict[int, ResponseSpec]:
    """A file download's responses: the file, and the errors a signed-in call can meet,
    404 and ``errors`` besides."""
    return {
        200: ResponseSpec(data_container=bytes, description=description, media_type=media_type),
        **error_responses(*SIGNED_IN_ERRORS, 404, *errors),
    }
