"""Running the matrix: one request per cell, its outcome as a short token.

Tokens: a status code ("200", "400", "404", "405" ...), or for a redirect where it
goes: "login" (/accounts/login/?next=...), "code" (the 2FA code step), "setup" (turn
on 2FA first), "alogin" (/admin/login/), "302" (anywhere else on this site).
"""

from urllib.parse import urlsplit

from tests.helpers import ROLE_HELP, role_client

REDIRECT_TOKENS = {
    "/accounts/login/": "login",
    "/accounts/login/code/": "code",
    "/accounts/security/": "setup",
    "/admin/login/": "alogin",
}


def token(response) -> str:
    if response.status_code in (301, 302):
        location = urlsplit(response["Location"])
        assert not location.netloc, f"redirect off the site: {response['Location']}"
        return REDIRECT_TOKENS.get(location.path, "302")
    return str(response.status_code)


class Clients:
    """One signed-in client per role, made again after a cell signed it out."""

    def __init__(self, world, **client_kwargs):
        self.world = world
        self.client_kwargs = client_kwargs
        self._clients = {}

    def __getitem__(self, role):
        if role not in self._clients:
            self._clients[role] = role_client(self.world, role, **self.client_kwargs)
        return self._clients[role]

    def forget(self, role):
        self._clients.pop(role, None)


def request(client, method: str, url: str):
    return getattr(client, method.lower())(url)


def failure_table(failures) -> str:
    """The failing cells as an aligned table: url, method, role, expected, got."""
    rows = [("url", "method", "role", "expected", "got")] + failures
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    legend = "\n".join(f"  {role}: {meaning}" for role, meaning in ROLE_HELP.items())
    return "\n".join([f"{len(failures)} cell(s) failed:", *lines, "roles:", legend])
