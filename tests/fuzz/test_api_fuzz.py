"""The JSON API fuzzed from its own OpenAPI document (issue 8): for each role, requests
that schemathesis generates, valid and not, against every operation, some aimed at the
real tender, lot and bid of an evaluation so they get past the 404s. No response may be a
5xx; every one must be documented (status, content type, headers, body); bad input must be
refused with a 4xx; and a 400 or 422 must carry a message for each field it refuses.

schemathesis's own runner and ASGI transport are synchronous, while the database is bound
to this suite's event loop: so the cases are drawn synchronously from the operations'
strategies, sent through the suite's async client, and checked with schemathesis's checks.
Set CARETENDER_FUZZ_SEED to replay a run; its seed is in every failure's message."""

from __future__ import annotations

import contextlib
import os
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.clock import FixedClock
from app.platform import Platform
from tests.conftest import bearer
from tests.evaluation.factories import evaluation

#: Fixed, so that CI runs the same requests each time (new findings come with changes, not
#: by chance); set CARETENDER_FUZZ_SEED to explore others.
SEED = int(os.environ.get("CARETENDER_FUZZ_SEED") or 20261124)
BASE_URL = "https://testserver"
ROLES = ("visitor", "provider", "officer", "evaluator", "moderator")
#: Cases drawn per operation and role, valid and invalid, aimed at the evaluation's real
#: objects or with every parameter generated: at most 8 x 69 operations x 5 roles, less
#: where a strategy runs out (an operation without inputs has one case).
DRAWS = (
    (GenerationMode.POSITIVE, True, 3),
    (GenerationMode.POSITIVE, False, 2),
    (GenerationMode.NEGATIVE, True, 2),
    (GenerationMode.NEGATIVE, False, 1),
)
MINIMUM_REQUESTS = 1_000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: Steps that end what the other operations act on go last, so those still find it open.
LAST = ("/cancel", "/withdrawal")


@dataclass(frozen=True)
class Known:
    """A failure the fuzzer found that is not fixed yet: it passes while listed. Remove it
    with the fix, so the fuzzer guards against its return."""

    name: str
    #: Operation labels ("GET /api/v1/..."); empty for every operation.
    operations: tuple[str, ...]
    status: int
    problems: tuple[str, ...]
    #: Narrows it to the requests that show it.
    applies: Callable[[httpx.Request], bool] = lambda request: True

    def matches(self, operation: str, status: int, problem: str, request: httpx.Request) -> bool:
        return (
            (not self.operations or operation in self.operations)
            and status == self.status
            and problem in self.problems
            and self.applies(request)
        )


def has_empty_query_value(request: httpx.Request) -> bool:
    return any(value == "" for _, value in request.url.params.multi_items())


ACCEPTED = "Schema-violating request accepted"
#: What makes a generated request "invalid" but is no fault of the API's: query parameters
#: it does not know (ignored, as HTTP APIs do; OpenAPI cannot forbid them), and a missing
#: Authorization header, which this test always sends for the role.
TOLERATED = (
    "- query: violates `additionalProperties`",
    "- header: violates `required` (was Authorization)",
)


def tolerated(detail: str) -> bool:
    """Whether every invalid component of an accepted request is one of ``TOLERATED``."""
    _, _, listed = detail.partition("Invalid component:")
    components = [line.strip() for line in listed.splitlines() if line.strip()]
    return bool(components) and all(line in TOLERATED for line in components)


#: Not findings: invalid values that serialize to the same text as valid ones. An array
#: query parameter sent as ``?band=`` is the one-item array ``[""]``, which the document
#: allows, whatever invalid value it was generated from.
SAME_ON_THE_WIRE = (
    Known(
        "an invalid value sent as an empty query parameter",
        ("GET /api/v1/opportunities",),
        200,
        ("Schema-violating request accepted",),
        has_empty_query_value,
    ),
)
#: Failures found and not yet fixed, each matched narrowly, so that the test passes while
#: they are open and fails on anything new. Empty: every finding so far is fixed.
KNOWN_FINDINGS: tuple[Known, ...] = ()


@dataclass(frozen=True)
class Finding:
    operation: str
    role: str
    status: int
    problem: str
    request: str


def draw(strategy: Any, count: int, seed: int) -> list[schemathesis.Case]:
    """``count`` cases at most (fewer when the strategy runs out), reproducibly from
    ``seed``: drawn by a Hypothesis test run here, as ``strategy.example()`` is for the
    console only."""
    cases: list[schemathesis.Case] = []

    @hypothesis.seed(seed)
    @hypothesis.settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(strategy)
    def collect(case: schemathesis.Case) -> None:
        cases.append(case)

    # No invalid variant of an operation whose every input is fixed, and the like.
    with contextlib.suppress(HypothesisException):
        collect()
    return cases


def ordered(operations: Iterable[Any]) -> list[Any]:
    def key(operation: Any) -> tuple[bool, bool, str]:
        last = operation.path.endswith(LAST)
        return last, operation.method.upper() != "GET", operation.label

    return sorted(operations, key=key)


def as_request(case: schemathesis.Case, headers: dict[str, str]) -> httpx.Request:
    """The request schemathesis would send, serialized by requests as it does, for httpx."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    return httpx.Request(
        prepared.method or case.method, prepared.url or "", headers=prepared.headers, content=body
    )


def field_messages_problem(response: httpx.Response) -> str | None:
    """A refusal of input names each field it refuses, each with its own message."""
    if response.status_code not in (400, 422):
        return None
    try:
        body = response.json()
    except ValueError:
        return "the body is not JSON"
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not body.get("message"):
        return "no message"
    if not isinstance(errors, dict) or not errors:
        return "no message per field"
    if not all(isinstance(message, str) and message.strip() for message in errors.values()):
        return "a field's message is empty"
    return None


def describe(request: httpx.Request) -> str:
    body = request.content.decode(errors="replace")
    shown = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    return f"{request.method} {request.url} headers={shown} body={body[:500]!r}"


@pytest.mark.parametrize("role", ROLES)
async def test_api_answers_generated_requests_as_documented(
    platform: Platform, clock: FixedClock, client: httpx.AsyncClient, role: str
) -> None:
    started = time.monotonic()
    setup = await evaluation(platform, clock)
    users = {
        "provider": setup.providers[0],
        "officer": setup.officer,
        "evaluator": setup.evaluators[0],
        "moderator": setup.moderator,
    }
    headers = await bearer(client, users[role].email) if role in users else {}
    real_ids = {
        "tender_id": str(setup.tender.id),
        "lot_id": str(setup.lot.id),
        "bid_id": str(setup.bid_ids[0]),
        "question_id": str(setup.questions[0].id),
        "item_id": str(setup.lot.price_items[0].id),
        "user_id": str(users.get(role, setup.officer).id),
    }
    schema = schemathesis.openapi.from_dict((await client.get("/schema/openapi.json")).json())
    operations = ordered(result.ok() for result in schema.get_all_operations())
    assert operations

    sent = 0
    findings: dict[tuple[str, str, int, str], Finding] = {}
    seen_known: set[str] = set()
    for number, operation in enumerate(operations):
        names = {parameter.name for parameter in operation.path_parameters}
        for mode, aimed, count in DRAWS:
            fixed = {name: real_ids[name] for name in names if name in real_ids} if aimed else {}
            strategy = operation.as_strategy(mode, path_parameters=fixed or None)
            # Not hash(): strings hash differently in every process.
            seed = zlib.crc32(f"{SEED}:{role}:{number}:{mode.value}:{aimed}".encode())
            for case in draw(strategy, count, seed):
                request = as_request(case, headers)
                response = await client.send(request)
                sent += 1
                problems = []
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as group:
                    problems += [(failure.title, failure.message) for failure in group.exceptions]
                if problem := field_messages_problem(response):
                    problems.append((problem, ""))
                for title, detail in problems:
                    if title == ACCEPTED and tolerated(detail):
                        continue
                    status = response.status_code
                    known = [
                        k
                        for k in KNOWN_FINDINGS + SAME_ON_THE_WIRE
                        if k.matches(operation.label, status, title, request)
                    ]
                    if known:
                        seen_known.update(k.name for k in known)
                        continue
                    key = (operation.label, role, status, title)
                    shown = f"{describe(request)}\n    -> {response.text[:300]}\n    {detail[:400]}"
                    findings.setdefault(key, Finding(*key, shown))

    took = time.monotonic() - started
    print(f"\n{role}: {sent} requests in {took:.1f}s (seed {SEED}); known findings seen:")
    print("".join(f"  - {name}\n" for name in sorted(seen_known)), end="")
    assert sent * len(ROLES) >= MINIMUM_REQUESTS, sent
    assert not findings, f"seed {SEED}, {len(findings)} new findings:\n" + "\n".join(
        f"- {f.operation} as {f.role}: {f.status} {f.problem}\n    {f.request}"
        for f in findings.values()
    )
