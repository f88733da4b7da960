"""Browser tests: a real server, real Chromium, and axe-core on every page.

Run them on their own (sync Playwright cannot share the app suite's event loop, and
pyproject's addopts ignores this folder)::

    .venv/bin/pytest -q -o addopts="" -p no:cacheprovider tests/browser

One ``caretender serve`` process is started for the session, on a file SQLite database
loaded by ``caretender demo`` in a temporary directory. Chromium is Debian's
``/usr/bin/chromium``: never ``playwright install``.
"""

from __future__ import annotations

import email.policy
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from app.clock import RehearsalClock
from tests.bench import processes
from tests.bench.processes import caretender_command, clean_env, serve_command
from tests.bench.signin import free_port

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CARETENDER_BROWSER", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]
AXE_LOADED = "() => typeof window.axe !== 'undefined'"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: The cheapest argon2id parameters, for the demo users and everyone the tests create.
CHEAP_ARGON2 = {
    "CARETENDER_ARGON2_TIME_COST": "1",
    "CARETENDER_ARGON2_MEMORY_COST": "8",
    "CARETENDER_ARGON2_PARALLELISM": "1",
}
#: Playwright's default timeout is 30 s; a page of this app that takes 10 s is a failure.
TIMEOUT_MS = 10_000


# The app suite's autouse fixtures (tests/conftest.py) build and empty a database in an
# event loop; the browser tests need neither, so these names are overridden here.
@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> None:
    """Not used: the served database is built by ``caretender demo``."""


@pytest.fixture(autouse=True)
def empty_tables() -> None:
    """Not used: tests share the served database and use unique email addresses."""


@contextmanager
def _running_server(
    request: pytest.FixtureRequest, prefix: str, settings: Mapping[str, str] | None = None
) -> Iterator[str]:
    """The base URL of a ``caretender serve`` process with the demo data loaded, in a
    temporary directory of its own; ``settings`` are more ``CARETENDER_*`` variables
    (``{port}`` in a value becomes the server's port)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        var_dir = Path(tmp) / "var"
        # Without CARETENDER_* from this process (tests/conftest.py sets the database):
        # the server uses a file SQLite under var_dir.
        env = {**clean_env(var_dir), **CHEAP_ARGON2}
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env.update({name: value.format(port=port) for name, value in (settings or {}).items()})
        demo = subprocess.run(
            [*caretender_command(), "demo"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if demo.returncode != 0:
            pytest.fail(f"caretender demo failed:\n{demo.stdout}\n{demo.stderr}")
        log = Path(tmp) / "server.log"
        with processes.server(serve_command(port), env, log, port, timeout=20):
            yield base_url
        if request.session.testsfailed:
            # The server's side of any failure, while the temporary directory still exists.
            sys.stderr.write(f"\n--- {prefix} serve log ---\n{log.read_text()[-20_000:]}\n")


@pytest.fixture(scope="session")
def server_var_dir() -> Iterator[Path]:
    """``server``'s var directory, where the tests read what it writes and set its clock."""
    with tempfile.TemporaryDirectory(prefix="caretender-browser-var-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest, server_var_dir: Path) -> Iterator[str]:
    """The base URL of a ``caretender serve`` process with the demo data loaded. With no
    SMTP server, it writes its mail as ``.eml`` files (``server_outbox``); its clock can be
    set (``server_clock``)."""
    settings = {
        "CARETENDER_VAR_DIR": str(server_var_dir),
        "CARETENDER_CLOCK_FILE": str(server_var_dir / "clock"),
    }
    with _running_server(request, "caretender-browser-", settings) as base_url:
        yield base_url


class ServerClock:
    """``server``'s clock, moved as a rehearsal moves it (``app.clock.RehearsalClock``):
    set to an instant, the server's time runs on from it."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def now(self) -> datetime:
        """The server's time now, read the way the server reads it."""
        return RehearsalClock(self._path).now()

    def set(self, instant: datetime) -> None:
        # Written whole, then moved into place: the server never reads half an instant.
        written = self._path.with_suffix(".new")
        written.write_text(instant.isoformat())
        os.replace(written, self._path)

    def restore(self) -> None:
        """Back to the system's time."""
        self._path.unlink(missing_ok=True)


@pytest.fixture
def server_clock(server: str, server_var_dir: Path) -> Iterator[ServerClock]:
    """``server``'s clock, for a test of what takes days; the system's time again after
    the test, pass or fail, since the other tests share the server."""
    clock = ServerClock(server_var_dir / "clock")
    clock.restore()
    try:
        yield clock
    finally:
        clock.restore()


# Mail: a real SMTP server, and a caretender server whose outbox worker delivers to it ----


@dataclass(frozen=True)
class ReceivedMail:
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""


class Mailbox:
    """What an aiosmtpd server received; its handler runs in the server's own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedMail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        message = BytesParser(policy=email.policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._received.append(ReceivedMail(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    def wait_for(
        self, matches: Callable[[ReceivedMail], bool], count: int, timeout: float = 15
    ) -> list[ReceivedMail]:
        """At least ``count`` received messages that match, polling until ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            found = [mail for mail in self.received if matches(mail)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


class WrittenMail(Mailbox):
    """The mail a server with no SMTP server writes as ``.eml`` files under its var
    directory (``app.mail``'s development sink), read as a ``Mailbox``."""

    def __init__(self, var_dir: Path) -> None:
        super().__init__()
        self._directory = var_dir / "mail"

    @property
    def received(self) -> list[ReceivedMail]:
        parser = BytesParser(policy=email.policy.default)
        found = []
        for path in sorted(self._directory.glob("*.eml")):
            message = parser.parsebytes(path.read_bytes())
            assert isinstance(message, EmailMessage)
            recipients = tuple(address.addr_spec for address in message["To"].addresses)
            found.append(ReceivedMail(recipients, message))
        return found


@pytest.fixture
def server_outbox(server: str, server_var_dir: Path) -> WrittenMail:
    """What ``server`` has sent, as it writes it."""
    return WrittenMail(server_var_dir)


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on a free port, and what it has received."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def smtp_mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as found:
        yield found


@pytest.fixture(scope="session")
def mail_server(request: pytest.FixtureRequest, smtp_mailbox: tuple[Mailbox, int]) -> Iterator[str]:
    """A second ``caretender serve`` (with the demo data) whose in-process outbox worker
    delivers to ``smtp_mailbox`` every 0.3 seconds."""
    _, smtp_port = smtp_mailbox
    settings = {
        "CARETENDER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CARETENDER_MAIL_WORKER_INTERVAL": "0.3",
        "CARETENDER_BASE_URL": "http://127.0.0.1:{port}",
    }
    with _running_server(request, "caretender-browser-mail-", settings) as base_url:
        yield base_url


@pytest.fixture
def mailbox(smtp_mailbox: tuple[Mailbox, int]) -> Mailbox:
    return smtp_mailbox[0]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@contextmanager
def _context_factory(browser: Browser, base_url: str) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=base_url, bypass_csp=True, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def new_context(browser: Browser, server: str) -> Iterator[Callable[..., BrowserContext]]:
    """Make a fresh browser context (its own cookies): a different person, or a browser
    with JavaScript off. ``bypass_csp`` lets axe be injected past the strict CSP."""
    with _context_factory(browser, server) as make:
        yield make


@pytest.fixture
def new_mail_context(browser: Browser, mail_server: str) -> Iterator[Callable[..., BrowserContext]]:
    """Like ``new_context``, on ``mail_server``: the server that sends real email."""
    with _context_factory(browser, mail_server) as make:
        yield make


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


def _describe(violation: dict[str, Any]) -> str:
    targets = "; ".join(
        " ".join(str(part) for part in node["target"]) for node in violation["nodes"]
    )
    return (
        f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
        f"  {violation['helpUrl']}\n  on: {targets}"
    )


AXE_RUN = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
    return results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({target: n.target})),
    }));
}"""


def _violations(page: Page) -> list[dict[str, Any]] | None:
    """axe's violations on the page, or None if the page runs no script (JavaScript off)."""
    if not page.evaluate(AXE_LOADED):
        page.add_script_tag(path=str(AXE))
    if not page.evaluate(AXE_LOADED):
        return None
    return page.evaluate(AXE_RUN, WCAG_TAGS)


def _violations_without_javascript(page: Page) -> list[dict[str, Any]]:
    """axe cannot run in a page with JavaScript off (its timers never fire), so replay the
    page's HTML, at its own address and with its own styles, in a page that allows only
    injected scripts: the page's scripts are blocked, so it stays as it was without them."""
    url = page.url.split("#", 1)[0]
    html = page.content()
    assert page.context.browser is not None
    context = page.context.browser.new_context(bypass_csp=True, viewport=page.viewport_size)
    try:
        replay = context.new_page()
        replay.route("**/*.js", lambda route: route.abort())
        replay.route(
            lambda address: address == url,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        replay.goto(url)
        assert not replay.evaluate("() => document.body.classList.contains('js-enabled')")
        violations = _violations(replay)
        assert violations is not None
        return violations
    finally:
        context.close()


def assert_accessible(page: Page) -> None:
    """Run axe-core's WCAG 2.2 A and AA rules on the page as it is now: no violations."""
    violations = _violations(page)
    if violations is None:
        violations = _violations_without_javascript(page)
    assert not violations, f"axe found {len(violations)} violation(s) on {page.url}:\n" + (
        "\n".join(_describe(violation) for violation in violations)
    )
