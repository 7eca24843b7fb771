"""Plain text: what a free-text field (an alias, a name, a label, a reason) may hold.

Control characters have no business in a name: a carriage return in an alias broke
the e-mail whose Subject named it, after the key was saved; an escape sequence
repaints a terminal that shows a log line; U+2028 ends a line in JavaScript and in
some mail clients; bidi overrides make a name read differently from what it is. One
validator refuses them in every such field of every form; multi-line fields take line
breaks and tabs as well, nothing else. Letters of any script (right-to-left ones
and lookalikes included) are text and stay allowed; invisible format characters
(right-to-left marks, zero-width spaces) are not.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Embeddings, overrides and isolates reorder the text after them ("Trojan Source").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Cc: C0/C1 controls, DEL; Cf: invisible format characters (RLM, zero-width space, BOM,
# tags, soft hyphen), which make two names that read the same; Cs: lone surrogates;
# Co/Cn: private-use and unassigned code points (noncharacters); Zl/Zp: line and
# paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@deconstructible
class PlainTextValidator:
    message = "Remove the control characters (line breaks, tabs and the like) from this text."
    code = "control_character"

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline
        if multiline:  # line breaks and tabs are fine here: don't name them
            self.message = (
                "Remove the control characters (other than line breaks and tabs) from this text."
            )

    def __call__(self, value) -> None:
        allowed = "\r\n\t" if self.multiline else ""
        for char in str(value):
            if char in allowed:
                continue
            if char in BIDI_CONTROLS or unicodedata.category(char) in REFUSED_CATEGORIES:
                raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline

    def __hash__(self):
        return hash((PlainTextValidator, self.multiline))


plain_text = PlainTextValidator()
plain_text_lines = PlainTextValidator(multiline=True)
