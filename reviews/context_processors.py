from .services import frozen_refusal


def frozen(request) -> dict:
    """``frozen_notice`` for base.html's banner: why the signed-in account's keys (and its
    sub-accounts') do nothing, or None. A main account's flag is on the loaded user: no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"frozen_notice": frozen_refusal(user)}
