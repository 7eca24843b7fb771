"""The browser a User-Agent header names, as the Security page and notices show it."""

import re

# The first that matches names it: Edge and Opera say "Chrome" too, Chrome says "Safari".
BROWSERS = [
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/"),
    ("Firefox", r"(Firefox|FxiOS)/"),
    ("Chrome", r"(Chrome|CriOS)/"),
    ("Safari", r"Version/[\d.]+.*Safari/"),
]
SYSTEMS = [
    ("iOS", r"iPhone|iPad|iPod"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux|X11"),
]


def browser_of(user_agent: str) -> str:
    """ "Chrome on Linux" from a User-Agent header; "Unknown browser" when it says nothing."""
    browser = next((name for name, pattern in BROWSERS if re.search(pattern, user_agent)), None)
    if browser is None:
        return "Unknown browser"
    system = next((name for name, pattern in SYSTEMS if re.search(pattern, user_agent)), None)
    return f"{browser} on {system}" if system else browser
