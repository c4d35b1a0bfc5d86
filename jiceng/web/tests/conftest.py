"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against pytest-django's live server.

One browser per test module; a fresh context (cookies, storage) per test, in Chinese as a user in
China would have it. Playwright never downloads a browser here: it drives /usr/bin/chromium
(JICENG_CHROMIUM overrides). Without Chromium the browser tests skip, except under CI=true where
they fail, so CI cannot pass by skipping them.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("JICENG_CHROMIUM", "/usr/bin/chromium"))
SHOTS_DIR = Path(os.environ.get("JICENG_SHOTS_DIR", "/tmp/jiceng-shots"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


# Module scope, not session: while Playwright runs, its event loop is this thread's running loop, and
# the DJANGO_ALLOW_ASYNC_UNSAFE it needs (below) must not outlive the browser tests (it would leak into
# other tests and into subprocesses they start, e.g. `check --deploy`).
@pytest.fixture(scope="module")
def chromium() -> Iterator:
    if not CHROMIUM.exists():
        message = (
            f"Chromium not found at {CHROMIUM}. Install Debian's: apt-get install chromium fonts-noto-cjk "
            "(scripts/test does it when run as root), or point JICENG_CHROMIUM at one."
        )
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread; Django would then refuse ORM calls
    # made by the test itself (fixtures, assertions) as "from an async context". Nothing here is async.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class BrowserProblems:
    """What went wrong in the page that a test would not otherwise see: script errors, CSP refusals,
    missing static files."""

    errors: list[str] = field(default_factory=list)

    def check(self) -> None:
        unique = list(dict.fromkeys(self.errors))
        assert not unique, "The browser reported problems:\n" + "\n".join(
            f"{text} (x{self.errors.count(text)})" for text in unique
        )


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def audit_log_flushable(transactional_db) -> Iterator[None]:
    """Let pytest-django empty the database after a transactional test on SQLite.

    It empties tables with DELETE, which the append-only trigger on audit events refuses (PostgreSQL
    uses TRUNCATE, which row triggers do not see). So, after the test and before that flush, remove
    the test's audit events with the trigger lifted for that one statement, then put it back."""
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module("jiceng.accounts.migrations.0002_audit_append_only")
    create_delete_trigger = next(sql for sql in migration.SQLITE if "audit_no_delete" in sql)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        cursor.execute("DELETE FROM accounts_auditevent")
        cursor.execute(create_delete_trigger)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item, so the page fixture knows whether the test failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@contextmanager
def browse(request, chromium, base_url: str, problems: BrowserProblems) -> Iterator:
    """A fresh browser context on `base_url`, in Chinese, reporting script errors, CSP refusals and
    missing static files to `problems`; on a failed test, a screenshot of where it stood."""
    context = chromium.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()

    def on_console(message) -> None:
        # A page answered 404 on purpose logs "Failed to load resource"; missing files are caught below.
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.errors.append(f"console on {page.url}: {message.text}")

    def on_response(response) -> None:
        if "/static/" in response.url and response.status >= 400:
            problems.errors.append(f"static file {response.url} answered {response.status}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.errors.append(f"script error: {exc}"))
    page.on("response", on_response)
    try:
        yield page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            SHOTS_DIR.mkdir(parents=True, exist_ok=True)
            shot = SHOTS_DIR / f"FAILED-{request.node.name}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"Screenshot at failure: {shot} (page {page.url})")
            print("Browser problems:", *dict.fromkeys(problems.errors or ["none"]), sep="\n  ")
    finally:
        context.close()


@pytest.fixture
def page(request, chromium, live_server, audit_log_flushable, browser_problems: BrowserProblems) -> Iterator:
    """A page on pytest-django's live server (test database; use the `district`/`personas` fixtures)."""
    with browse(request, chromium, live_server.url, browser_problems) as page:
        yield page


@pytest.fixture
def demo_page(request, chromium, browser_problems: BrowserProblems) -> Iterator:
    """A page on an already running demo (`jiceng up`), at $JICENG_DEMO_URL; skipped when it is unset."""
    base_url = os.environ.get("JICENG_DEMO_URL", "").rstrip("/")
    if not base_url:
        pytest.skip("set JICENG_DEMO_URL=http://127.0.0.1:8000 to run the journey against a running demo")
    with browse(request, chromium, base_url, browser_problems) as page:
        yield page


@pytest.fixture
def screenshot(request):
    """screenshot(name) saves the test's whole page to $JICENG_SHOTS_DIR/<name>.png for a human to look at."""
    page = request.getfixturevalue("demo_page" if "demo_page" in request.fixturenames else "page")
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)

    def _shot(name: str) -> Path:
        path = SHOTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
