"""Every form the portal shows, found by reading its pages.

``find_forms(clients, urls)`` GETs each URL with each role's client and parses the HTML:
every ``<form method="post">`` with its action, its fields (inputs, textareas,
selects, named buttons, and controls outside it that name it with ``form=``) and the
values a browser would send. The URLs come from the URL configuration
(tests/security/urlmap.py), so a form on a new page is found without being listed.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.urls import Resolver404, resolve


@dataclass
class Field:
    name: str
    kind: str  # text, password, hidden, checkbox, radio, select, textarea, submit ...
    values: list = field(default_factory=list)  # what a browser sends untouched
    options: list = field(default_factory=list)  # for select, radio and checkbox


@dataclass
class Form:
    key: str  # the URL name of its action, as in urlmap.every_route()
    role: str
    page: str
    action: str
    fields: dict = field(default_factory=dict)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []  # (attrs, [controls])
        self.by_id = {}
        self.current = None
        self.loose = []  # controls outside any form, with form="id"
        self.select = None
        self.option = None
        self.textarea = None

    def _add(self, control):
        owner = control.get("form")
        if owner:
            self.loose.append(control)
        elif self.current is not None:
            self.current[1].append(control)

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.current = (attrs, [])
            self.forms.append(self.current)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = self.current
        elif tag in ("input", "button") and attrs.get("name"):
            default = "submit" if tag == "button" else "text"
            self._add({**attrs, "type": attrs.get("type", default).lower(), "tag": tag})
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = {**attrs, "type": "textarea", "text": ""}
            self._add(self.textarea)
        elif tag == "select" and attrs.get("name"):
            self.select = {**attrs, "type": "select", "options": [], "selected": []}
            self._add(self.select)
        elif tag == "option" and self.select is not None:
            self.option = attrs
            self.option["text"] = ""
            self.select["options"].append(self.option)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["text"] += data
        if self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "option":
            self.option = None


def _fields(controls) -> dict:
    fields = {}
    for c in controls:
        name, kind = c["name"], c["type"]
        if name == "csrfmiddlewaretoken":
            continue
        f = fields.setdefault(name, Field(name, kind))
        if kind == "select":
            values = [o.get("value", o["text"].strip()) for o in c["options"]]
            f.options += values
            chosen = [o.get("value", o["text"].strip()) for o in c["options"] if "selected" in o]
            if "multiple" not in c:
                chosen = chosen[:1] or values[:1]
            f.values += chosen
        elif kind in ("checkbox", "radio"):
            f.options.append(c.get("value", "on"))
            if "checked" in c:
                f.values.append(c.get("value", "on"))
        elif kind == "textarea":
            f.values.append(c["text"].removeprefix("\n"))
        elif kind in ("submit", "image"):
            f.options.append(c.get("value", ""))
        else:
            f.values.append(c.get("value", ""))
    return fields


def url_key(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def parse_forms(html: str, page: str, role: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    for control in parser.loose:
        owner = parser.by_id.get(control["form"])
        if owner is not None:
            owner[1].append(control)
    found = []
    for attrs, controls in parser.forms:
        if attrs.get("method", "get").lower() != "post":
            continue
        action = urljoin(page, attrs.get("action") or page)
        found.append(Form(url_key(action), role, page, action, _fields(controls)))
    return found


def find_forms(clients: dict, pages: dict) -> dict:
    """{(url key, role): Form} for every POST form on ``pages`` ({role: [url, ...]})."""
    forms = {}
    for role, urls in pages.items():
        for url in urls:
            response = clients[role].get(url, follow=True)
            if "html" not in response.get("Content-Type", ""):
                continue
            page = response.request["PATH_INFO"]
            for form in parse_forms(response.content.decode(), page, role):
                forms.setdefault((form.key, role), form)
    return forms
