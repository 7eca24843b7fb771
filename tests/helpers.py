"""Helpers the tests import (not fixtures: those live in the conftest files).

Accounts and 2FA (with_2fa, verified_client, Authenticator), the signed API through
the test client (SignedApi, signature_for, error_code, CLIENT_IP, seed_assets), the
key form (form_data), the URL matrix's roles (ROLES, ROLE_HELP, role_client), and the
browser tests (sign_in, screenshot, SCREENSHOTS).
"""

import importlib
import json
import os
from pathlib import Path

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp as oath_totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from api import auth
from api import client as reference
from tests.factories import TOTPDeviceFactory

# --- from tests/conftest.py -----------------------------------------------------


class Authenticator:
    """The phone app: produces the code of a user's TOTP device."""

    def code(self, user, *, fresh=True) -> str:
        """The current code. ``fresh`` forgets the last step used, as if 30 s had passed,
        so a test can confirm several actions in a row (django-otp refuses a code twice)."""
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        if fresh:
            TOTPDevice.objects.filter(pk=device.pk).update(
                last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
            )
        value = oath_totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        return str(value).zfill(device.digits)


def with_2fa(user):
    TOTPDeviceFactory(user=user)
    return user


def verified_client(client, user):
    """``client`` signed in as ``user`` and past the 2FA step."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


# --- from tests/api/conftest.py -------------------------------------------------


CLIENT_IP = "203.0.113.10"


def signature_for(key, payload: bytes) -> str:
    if key.key_type == "ed25519":
        return reference.ed25519_signature(key.private_pem, payload)
    return reference.hmac_signature(key.plain_secret, payload)


class SignedApi:
    def __init__(self, client):
        self.client = client
        self._last_ms = 0

    def _unique_now_ms(self) -> int:
        # Two requests signed in the same millisecond are the same bytes, and the server
        # (rightly) refuses the second as a replay: a real client's requests differ.
        self._last_ms = max(auth.now_ms(), self._last_ms + 1)
        return self._last_ms

    def request(
        self,
        method,
        path,
        key=None,
        body=None,
        *,
        raw_body: bytes | None = None,
        timestamp=None,
        recv_window=None,
        signature=None,
        remote_addr=CLIENT_IP,
        headers=None,
        omit=(),
        meta=None,
    ):
        data = (
            raw_body if raw_body is not None else b"" if body is None else json.dumps(body).encode()
        )
        sent = {}
        if key is not None:
            ts = str(self._unique_now_ms() if timestamp is None else timestamp)
            window = "" if recv_window is None else str(recv_window)
            message = reference.payload(ts, key.api_key, window, method, path, data)
            sent = {
                "X-API-KEY": key.api_key,
                "X-API-TIMESTAMP": ts,
                "X-API-SIGNATURE": signature_for(key, message) if signature is None else signature,
            }
            if recv_window is not None:
                sent["X-API-RECV-WINDOW"] = window
        for name in omit:
            sent.pop(name, None)
        sent.update(headers or {})
        return self.client.generic(
            method,
            path,
            data=data,
            content_type="application/json",
            headers=sent,
            REMOTE_ADDR=remote_addr,
            **(meta or {}),
        )

    def get(self, key, path, **kwargs):
        return self.request("GET", path, key, **kwargs)

    def post(self, key, path, body=None, **kwargs):
        return self.request("POST", path, key, body, **kwargs)

    def delete(self, key, path, **kwargs):
        return self.request("DELETE", path, key, **kwargs)


def error_code(response) -> str:
    return response.json()["error"]["code"]


def seed_assets(apps, schema_editor):
    """The seeded assets with their prices, precisions and minimum withdrawals."""
    importlib.import_module("accounts.migrations.0002_seed_assets").seed_assets(apps, None)
    importlib.import_module("accounts.migrations.0004_exact_money").seed_rules(apps, None)


# --- from tests/apikeys/conftest.py ---------------------------------------------


def form_data(**fields) -> dict:
    """The create/modify form as a browser posts it: unchecked boxes are left out."""
    data = {"alias": "grid-bot", "ip_whitelist": "", "key_choice": "hmac-sha256"}
    data.update(fields)
    return {name: value for name, value in data.items() if value is not False}


# --- from tests/security/conftest.py --------------------------------------------


# Who asks, in the order the matrix prints them.
ROLES = ("anon", "no2fa", "unverified", "owner", "other", "rival", "admin")


ROLE_HELP = {
    "anon": "not signed in",
    "no2fa": "signed in, no 2FA device at all",
    "unverified": "the owner, signed in with the password only (session not OTP-verified)",
    "owner": "the owner, verified; for sub-account URLs: the sub-account's parent",
    "other": "another account, verified, no sub-accounts",
    "rival": "an unrelated parent, verified, with a sub-account and keys of its own",
    "admin": "a superuser with 2FA, verified (a stranger to the portal's objects)",
}


def role_client(world, role, **client_kwargs) -> Client:
    client = Client(**client_kwargs)
    if role == "anon":
        return client
    if role == "unverified":
        # The password step passed, the 2FA step not: a session without a device id.
        client.force_login(world.owner)
        return client
    return verified_client(client, world.user_of(role))


# --- from tests/e2e/conftest.py -------------------------------------------------


SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under screenshots/ (ignored by git) for a person to
    open; the state shown is audited by axe-core first (a state scripts reached counts)."""
    audit_now(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, live_server, user):
    """Give the browser the session of ``user``, past the 2FA step (the login form
    itself is driven in test_first_journey and test_reviews_journey)."""
    from django.test import Client

    from tests.helpers import verified_client

    client = verified_client(Client(), user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


# --- accessibility: axe-core on every page state the browser tests reach ---------

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
AXE_FAILS_ON = ("serious", "critical")
AXE_WIDTHS = (1280, 390)
FIT_WIDTHS = (1280, 390, 320)  # no page scrolls sideways at any of them
# The deepest elements sticking out past the window's right edge: what to fix.
WIDER_THAN_WINDOW = """() => [...document.querySelectorAll("body *")]
  .filter(el => el.getBoundingClientRect().right > innerWidth + 1)
  .filter(el => !el.closest(".table-wrap, pre"))
  .filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 5).map(el => el.outerHTML.slice(0, 100))"""

# A page method a test calls to act on or look at the page: before it runs, the state
# the last load left is audited (it is the state the test is about to use).
_ACTIONS = (
    "goto",
    "reload",
    "go_back",
    "go_forward",
    "click",
    "fill",
    "press",
    "check",
    "uncheck",
    "select_option",
    "locator",
    "get_by_role",
    "get_by_label",
    "get_by_text",
    "get_by_placeholder",
    "get_by_title",
    "get_by_test_id",
    "wait_for_url",
    "close",
)


class AxeAudit:
    """Runs axe-core (WCAG 2.1 A/AA) on each page state a browser test reaches, at 1280
    and 390 px, and fails on a serious or critical violation, naming rule and element;
    and fails when the page scrolls sideways at 1280, 390 or 320 px, naming what sticks out.

    Attached to every page of every context (tests/e2e/conftest.py), so a new page or
    test is checked without being listed. A load only marks the page "to audit"; the
    audit itself runs in the test's own thread just before its next action on the page
    (or a screenshot, or the end of the test), so it never races the test's clicks."""

    def __init__(self):
        self.seen = set()
        self.failures = []

    def attach(self, page):
        state = {"pending": False}
        page.on("load", lambda _page: state.update(pending=True))
        originals = {name: getattr(page, name) for name in _ACTIONS}

        def flush(force=False):
            if (state["pending"] or force) and not page.is_closed():
                state["pending"] = False
                self.check(page, originals)

        for name, original in originals.items():
            setattr(page, name, self._before(flush, original))
        page._axe_flush = flush

    @staticmethod
    def _before(flush, original):
        def action(*args, **kwargs):
            flush()
            return original(*args, **kwargs)

        return action

    def check(self, page, originals=None):
        from axe_playwright_python.sync_playwright import Axe
        from playwright.sync_api import Error as PlaywrightError

        try:
            page.wait_for_load_state("load")
            if page.evaluate("document.contentType") != "text/html":
                return  # a JSON document (openapi.json) is the browser's viewer, not ours
            html = page.content()
        except PlaywrightError:
            return  # navigated away meanwhile: the next load is audited instead
        viewport = page.viewport_size or {"width": 1280, "height": 860}
        widths = sorted(AXE_WIDTHS + FIT_WIDTHS, key=lambda width: width != viewport["width"])
        try:
            for width in dict.fromkeys(widths):
                key = (page.url.split("?")[0], width, hash(_without_tokens(html)))
                if key in self.seen:
                    continue
                self.seen.add(key)
                if width != page.viewport_size["width"]:
                    page.set_viewport_size({"width": width, "height": viewport["height"]})
                self._check_fit(page, width)
                if os.environ.get("SCREENSHOT_EVERY_STATE"):  # for a person to look at
                    _state_screenshot(page, width)
                if width not in AXE_WIDTHS:
                    continue
                if not page.evaluate("typeof window.axe === 'object'"):
                    page.evaluate(Axe().axe_script)
                result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
                self._record(page.url, width, result["violations"])
        except PlaywrightError:
            pass
        finally:
            if page.viewport_size and page.viewport_size != viewport and not page.is_closed():
                page.set_viewport_size(viewport)
        if self.failures:
            failures, self.failures = self.failures, []
            if os.environ.get("AXE_LOG"):  # survey mode: collect every page, fail none
                with open(os.environ["AXE_LOG"], "a") as log:
                    log.write("\n".join(failures) + "\n")
                return
            raise AssertionError("axe-core (WCAG 2.1 A/AA):\n" + "\n".join(failures))

    def _check_fit(self, page, width):
        # No page scrolls sideways: the document is never wider than the window.
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            culprits = page.evaluate(WIDER_THAN_WINDOW)
            self.failures.append(
                f"  {page.url} at {width} px: scrolls sideways ({wide} px wide): {culprits}"
            )

    def _record(self, url, width, violations):
        for violation in violations:
            if violation["impact"] not in AXE_FAILS_ON:
                continue
            for node in violation["nodes"]:
                self.failures.append(
                    f"  {url} at {width} px: {violation['id']} ({violation['impact']}): "
                    f"{violation['help']} -> {' '.join(map(str, node['target']))}  "
                    f"{node['html'][:160]}"
                )


def _state_screenshot(page, width):
    import re

    path = re.sub(r"[0-9a-f-]{36}", "x", page.url.split("//", 1)[1].split("/", 1)[1])
    name = re.sub(r"\W+", "-", path).strip("-") or "home"
    folder = SCREENSHOTS / "states"
    folder.mkdir(parents=True, exist_ok=True)
    number = len(list(folder.glob(f"{name}-{width}*.png")))
    page.screenshot(path=str(folder / f"{name}-{width}-{number}.png"), full_page=True)


def _without_tokens(html: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def audit_now(page):
    """Audit the page as it is now (a state reached without a load: a menu opened, a
    result shown by script)."""
    flush = getattr(page, "_axe_flush", None)
    if flush is not None:
        flush(force=True)
