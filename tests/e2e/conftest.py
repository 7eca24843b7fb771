"""Browser tests: Playwright driving Debian's Chromium against the live server.

Never downloads a browser. Where /usr/bin/chromium is missing the tests skip with a
reason, unless REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

import os

import pytest

from tests.helpers import AxeAudit

AXE = AxeAudit()

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in the test's thread; Django refuses ORM
# calls there unless told that this is deliberate (the test itself is synchronous).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; REQUIRE_BROWSER=1 demands it.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def audited_context(*args, **kwargs):
            # Every page of every context is audited by axe-core (tests/helpers.AxeAudit):
            # a new test or page is checked without being listed anywhere.
            context = new_context(*args, **kwargs)
            context.on("page", AXE.attach)
            close = context.close

            def close_after_audit(*args, **kwargs):
                try:
                    for page in context.pages:
                        page._axe_flush()
                finally:
                    close(*args, **kwargs)

            context.close = close_after_audit
            return context

        browser.new_context = audited_context
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
