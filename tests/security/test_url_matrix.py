"""The URL matrix: every URL of the project × method × who asks → the expected status.

The URLs come from the URL configuration (``urlmap.every_route``): a URL added
without a rule here fails ``test_every_url_has_a_rule``. Portal URLs are tried with
GET and POST as each role of ``ROLES``; the signed API (/api/v1/...) is tried with
GET, POST and DELETE, without signature headers, anonymously and with a portal
session (which must count for nothing there).

Reading the portal table (one row per URL and method; a blank URL repeats the one
above; roles are described in conftest.ROLE_HELP):
  200/400/403/404/405  that status;
  login   302 to /accounts/login/?next=...     code   302 to the 2FA code step;
  setup   302 to /accounts/security/ (2FA off) alogin 302 to /admin/login/;
  302     a redirect elsewhere on the site (e.g. "nothing to show, back to the list").

Requests carry no form data: a POST that reaches its form fails validation (no 2FA
code) and changes nothing, except where a row's comment says otherwise.
"""

import pytest

from tests.helpers import ROLES
from tests.security.matrixlib import Clients, failure_table, request, token
from tests.security.urlmap import every_route, is_signed_api, url_for

# Read pages (security, assets, the key list, a key's page ...) answer a POST with 405,
# checked before anything else, so it tells nothing about whose object it is.
# A session that signed in with the password only while 2FA is on (unver) is sent to
# the code step from every portal page (accounts.middleware), and the code step sends
# sessions with nothing left to prove (verified, or without 2FA) on their way (302).
# Another account's object is a 404 before anything else is checked.
# remove_address: the owner's POST removes the entry (no 2FA code by design: it only
# narrows where funds may go); the owner is the last role to ask.
# sign_out_session is asked with a made-up session: 404 (another account's is a 404 too,
# tests/accounts/test_activity.py); sign_out_other_sessions signs out none but this one.
# verify_email too (400: the link is not one we signed); resend_verification sends
# nothing to a verified account and goes back to Security.
# password_reset_confirm is asked with a made-up link: the page says it is not valid.
# admin/login/ takes no password: staff sign in through the portal's two steps (login),
# a signed-in trader is refused (403, not a redirect loop), verified staff go on (302).
# Passkeys: rename and remove take the owner's passkey (another account's is a 404);
# start_adding_passkey takes a code (none here: 400, no window opened). The library's
# JSON endpoints: registration only for a session verified with 2FA (the unverified one
# is sent to the code step) that a code opened a window for (none here: 403);
# authentication only for the owner half-signed-in (unver), never for a verified
# session or a stranger; none runs a ceremony on a GET. Who may ask is checked first;
# then the matrix's form-encoded POST is no JSON (400) for those who may (the ceremonies
# themselves: tests/accounts/test_passkeys.py). Its words (jsi18n) are public.
# end_grace ("End now"): no code either, it only stops an old secret sooner.
# enable: the keys it is asked about are disabled as idle in the test world, so their
# pages show the form (200: no code, nothing enabled).
# The admin: non-staff are sent to its login; admin/logout/ sends them to /admin/.
# approve: the superuser's POST approves the pending application (by design, no code:
# the admin session is 2FA-verified).
PORTAL = """
url                                     method anon   no2fa  unver  owner  other  rival  admin
(root)                                  GET    302    302    code   302    302    302    302
                                        POST   302    302    code   302    302    302    302
accounts:signup                         GET    200    302    code   302    302    302    302
                                        POST   200    302    code   302    302    302    302
accounts:signup_sent                    GET    200    200    code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
accounts:verify_email                   GET    400    400    code   400    400    400    400
                                        POST   400    400    code   400    400    400    400
accounts:resend_verification            GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   setup  setup  setup  setup
accounts:login                          GET    200    200    code   302    302    302    302
                                        POST   200    200    code   302    302    302    302
accounts:login_code                     GET    login  302    200    302    302    302    302
                                        POST   login  302    200    302    302    302    302
accounts:logout                         GET    405    405    405    405    405    405    405
                                        POST   login  login  login  login  login  login  login
accounts:password_reset                 GET    200    200    code   200    200    200    200
                                        POST   200    200    code   200    200    200    200
accounts:password_reset_sent            GET    200    200    code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
accounts:password_reset_confirm         GET    200    200    code   200    200    200    200
                                        POST   200    200    code   200    200    200    200
accounts:password_reset_done            GET    200    200    code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
accounts:change_password                GET    login  200    code   200    200    200    200
                                        POST   login  400    code   400    400    400    400
accounts:set_anti_phishing_phrase       GET    405    405    code   405    405    405    405
                                        POST   login  400    code   400    400    400    400
accounts:activity                       GET    login  200    code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
accounts:sign_out_session               GET    405    405    code   405    405    405    405
                                        POST   login  404    code   404    404    404    404
accounts:sign_out_other_sessions        GET    405    405    code   405    405    405    405
                                        POST   login  302    code   302    302    302    302
accounts:security                       GET    login  200    code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
accounts:setup_2fa                      GET    login  200    code   setup  setup  setup  setup
                                        POST   login  200    code   setup  setup  setup  setup
accounts:disable_2fa                    GET    405    405    code   405    405    405    405
                                        POST   login  400    code   400    400    400    400
accounts:backup_codes                   GET    login  setup  code   setup  setup  setup  setup
                                        POST   405    405    code   405    405    405    405
accounts:regenerate_backup_codes        GET    405    405    code   405    405    405    405
                                        POST   login  400    code   400    400    400    400
accounts:addresses                      GET    login  setup  code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
accounts:add_address                    GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   400    400    400    400
accounts:switch_address_management      GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   400    400    400    400
accounts:remove_address                 GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   302    404    404    404
accounts:rename_passkey                 GET    405    405    code   405    405    405    405
                                        POST   login  404    code   400    404    404    404
accounts:remove_passkey                 GET    405    405    code   405    405    405    405
                                        POST   login  404    code   400    404    404    404
accounts:start_adding_passkey           GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   400    400    400    400
accounts:passkey_register_begin         GET    405    405    code   405    405    405    405
                                        POST   403    403    code   403    403    403    403
accounts:passkey_register_complete      GET    405    405    code   405    405    405    405
                                        POST   403    403    code   403    403    403    403
accounts:passkey_auth_begin             GET    405    405    405    405    405    405    405
                                        POST   403    403    400    403    403    403    403
accounts:passkey_auth_complete          GET    405    405    405    405    405    405    405
                                        POST   403    403    400    403    403    403    403
accounts:passkey_jsi18n                 GET    200    200    200    200    200    200    200
                                        POST   405    405    405    405    405    405    405
accounts:assets                         GET    login  200    code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
reviews:apply                           GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   302    302    302    400
apikeys:index                           GET    login  200    code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
apikeys:new                             GET    login  setup  code   200    302    200    302
                                        POST   login  setup  code   200    302    200    302
apikeys:delete_all                      GET    login  setup  code   200    302    302    302
                                        POST   login  setup  code   200    302    302    302
apikeys:idle_keys                       GET    login  setup  code   200    200    200    200
                                        POST   login  setup  code   200    200    200    200
apikeys:detail                          GET    login  404    code   200    404    404    404
                                        POST   405    405    code   405    405    405    405
apikeys:secret                          GET    login  setup  code   302    404    404    404
                                        POST   login  setup  code   302    404    404    404
apikeys:modify                          GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
apikeys:delete                          GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
apikeys:roll                            GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
apikeys:extend                          GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
apikeys:enable                          GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
apikeys:end_grace                       GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   302    404    404    404
apikeys:whitelist_used_ip               GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   302    404    404    404
subaccounts:index                       GET    login  setup  code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
subaccounts:create                      GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   400    400    400    400
subaccounts:keys                        GET    login  setup  code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
subaccounts:detail                      GET    login  setup  code   200    404    404    404
                                        POST   405    405    code   405    405    405    405
subaccounts:freeze                      GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   400    404    404    404
subaccounts:transfer                    GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   400    404    404    404
subaccounts:delete                      GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   400    404    404    404
subaccounts:apikey_index                GET    login  setup  code   200    404    404    404
                                        POST   405    405    code   405    405    405    405
subaccounts:apikey_new                  GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
subaccounts:apikey_delete_all           GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
subaccounts:apikey_idle_keys            GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
subaccounts:apikey_detail               GET    login  setup  code   200    404    404    404
                                        POST   405    405    code   405    405    405    405
subaccounts:apikey_secret               GET    login  setup  code   302    404    404    404
                                        POST   login  setup  code   302    404    404    404
subaccounts:apikey_modify               GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
subaccounts:apikey_delete               GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
subaccounts:apikey_roll                 GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
subaccounts:apikey_extend               GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
subaccounts:apikey_enable               GET    login  setup  code   200    404    404    404
                                        POST   login  setup  code   200    404    404    404
subaccounts:apikey_end_grace            GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   302    404    404    404
subaccounts:apikey_whitelist_used_ip    GET    405    405    code   405    405    405    405
                                        POST   login  setup  code   302    404    404    404
api:docs                                GET    200    200    code   200    200    200    200
                                        POST   405    405    code   405    405    405    405
api:test_signature                      GET    405    405    code   405    405    405    405
                                        POST   login  400    code   400    400    400    400
healthz                                 GET    200    200    200    200    200    200    200
                                        POST   405    405    405    405    405    405    405
readyz                                  GET    200    200    200    200    200    200    200
                                        POST   405    405    405    405    405    405    405
otpadmin:index                          GET    alogin alogin alogin alogin alogin alogin 200
                                        POST   alogin alogin alogin alogin alogin alogin 200
otpadmin:login                          GET    login  403    403    403    403    403    302
                                        POST   login  403    403    403    403    403    302
otpadmin:logout                         GET    302    302    302    302    302    302    405
                                        POST   302    302    302    302    302    302    login
otpadmin:password_change                GET    alogin alogin alogin alogin alogin alogin 302
                                        POST   alogin alogin alogin alogin alogin alogin 302
otpadmin:autocomplete                   GET    alogin alogin alogin alogin alogin alogin 403
                                        POST   alogin alogin alogin alogin alogin alogin 405
otpadmin:jsi18n                         GET    alogin alogin alogin alogin alogin alogin 200
                                        POST   alogin alogin alogin alogin alogin alogin 405
otpadmin:view_on_site                   GET    alogin alogin alogin alogin alogin alogin 404
                                        POST   alogin alogin alogin alogin alogin alogin 404
otpadmin:reviews_application_approve    GET    alogin alogin alogin alogin alogin alogin 405
                                        POST   alogin alogin alogin alogin alogin alogin 302
otpadmin:reviews_application_reject     GET    alogin alogin alogin alogin alogin alogin 200
                                        POST   alogin alogin alogin alogin alogin alogin 400
otpadmin:reviews_application_changelist GET    alogin alogin alogin alogin alogin alogin 200
                                        POST   alogin alogin alogin alogin alogin alogin 200
otpadmin:apikeys_apikey_changelist      GET    alogin alogin alogin alogin alogin alogin 200
                                        POST   alogin alogin alogin alogin alogin alogin 200
otpadmin:apikeys_apikey_delete          GET    alogin alogin alogin alogin alogin alogin 403
                                        POST   alogin alogin alogin alogin alogin alogin 403
otpadmin:apikeys_apikey_change          GET    alogin alogin alogin alogin alogin alogin 200
                                        POST   alogin alogin alogin alogin alogin alogin 403
otpadmin:app_list                       GET    alogin alogin alogin alogin alogin alogin 200
                                        POST   alogin alogin alogin alogin alogin alogin 200
otpadmin:(catch-all)                    GET    alogin alogin alogin alogin alogin alogin 404
                                        POST   alogin alogin alogin alogin alogin alogin 404"""

API = """
url              method  status  error
api:time         GET     200
                 POST    405     method_not_allowed
                 DELETE  405     method_not_allowed
api:key          GET     401     missing_credentials
                 POST    405     method_not_allowed
                 DELETE  405     method_not_allowed
api:account      GET     401     missing_credentials
                 POST    405     method_not_allowed
                 DELETE  405     method_not_allowed
api:orders       GET     401     missing_credentials
                 POST    401     missing_credentials
                 DELETE  405     method_not_allowed
api:order        GET     405     method_not_allowed
                 POST    405     method_not_allowed
                 DELETE  401     missing_credentials
api:withdrawals  GET     401     missing_credentials
                 POST    401     missing_credentials
                 DELETE  405     method_not_allowed
api:leaks        GET     405     method_not_allowed
                 POST    401     missing_credentials
                 DELETE  405     method_not_allowed
api:openapi      GET     200
                 POST    405     method_not_allowed
                 DELETE  405     method_not_allowed
api:(unknown)    GET     404     not_found
                 POST    404     not_found
                 DELETE  404     not_found
"""

SIGNS_OUT = {"accounts:logout", "otpadmin:logout"}


def parse(table: str) -> dict[tuple[str, str], list[str]]:
    rows = [line for line in table.strip().splitlines()[1:] if line.strip()]
    rules, url = {}, None
    for line in rows:
        if not line.startswith(" "):
            url, *rest = line.split()
        else:
            rest = line.split()
        method, *cells = rest
        rules[(url, method)] = cells
    return rules


PORTAL_RULES = parse(PORTAL)
API_RULES = parse(API)


def test_every_url_has_a_rule():
    routes = every_route()
    portal = {key for key, route in routes.items() if not is_signed_api(route)}
    api = {key for key, route in routes.items() if is_signed_api(route)}
    assert portal == {url for url, _ in PORTAL_RULES}, "portal URLs and PORTAL rules differ"
    assert api == {url for url, _ in API_RULES}, "API URLs and API rules differ"
    for url in portal:
        assert {m for u, m in PORTAL_RULES if u == url} == {"GET", "POST"}, url
    for url in api:
        assert {m for u, m in API_RULES if u == url} == {"GET", "POST", "DELETE"}, url
    assert all(len(cells) == len(ROLES) for cells in PORTAL_RULES.values())


def test_portal_matrix(world):
    clients = Clients(world)
    failures, cells = [], 0
    for (key, method), expected_row in PORTAL_RULES.items():
        url = url_for(key, world)
        for role, expected in zip(ROLES, expected_row, strict=True):
            response = request(clients[role], method, url)
            got = token(response)
            if key in SIGNS_OUT and method == "POST":
                clients.forget(role)
            if key == "accounts:sign_out_other_sessions" and method == "POST":
                for each in ROLES:  # the same accounts' other sessions are gone
                    if each != role:
                        clients.forget(each)
            cells += 1
            if got != expected:
                failures.append((url, method, role, expected, got))
    assert not failures, failure_table(failures)
    assert cells == len(PORTAL_RULES) * len(ROLES)


def test_anonymous_is_sent_to_login_with_next_pointing_back(world):
    client = Clients(world)["anon"]
    url = url_for("apikeys:detail", world)
    assert client.get(url)["Location"] == f"/accounts/login/?next={url}"


def test_unverified_superuser_is_kept_out_of_the_admin(world):
    from django.test import Client

    client = Client()
    client.force_login(world.superuser)  # password only: no 2FA step
    for key in (
        "otpadmin:index",
        "otpadmin:apikeys_apikey_change",
        "otpadmin:reviews_application_approve",
    ):
        response = client.post(url_for(key, world))
        assert token(response) == "alogin", key
    world.pending_application.refresh_from_db()
    assert world.pending_application.status == "pending"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "portal-session"])
def test_signed_api_matrix_without_headers(world, signed_in):
    # A portal session (with CSRF checks on, as a browser would be) counts for nothing
    # on the API: the same JSON answer as anonymous, never a redirect or an HTML page.
    clients = Clients(world, enforce_csrf_checks=True)
    client = clients["owner" if signed_in else "anon"]
    failures = []
    for (key, method), (status, *error) in API_RULES.items():
        url = url_for(key, world)
        response = request(client, method, url)
        got = str(response.status_code)
        is_json = response["Content-Type"].startswith("application/json")
        code = response.json().get("error", {}).get("code") if is_json else "(not JSON)"
        if got != status or not is_json or (error and code != error[0]):
            failures.append(
                (
                    url,
                    method,
                    "owner" if signed_in else "anon",
                    " ".join([status, *error]),
                    f"{got} {code}",
                )
            )
    assert not failures, failure_table(failures)
