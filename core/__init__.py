"""The bottom layer: small helpers every app may import, which import no app.

``net`` (the client's IP behind our proxies) and ``showonce`` (a value on its way to
the one page that shows it). Nothing here imports accounts, reviews, apikeys,
subaccounts or api (the import contract in pyproject.toml checks it).
"""
