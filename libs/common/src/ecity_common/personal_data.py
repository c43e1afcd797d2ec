"""Personal data in free text: phone numbers (Ukrainian: +380…, 0XX… with spaces, dashes or
brackets), e-mail addresses, Ukrainian personal ids (РНОКПП, 10 digits; an ID card's number, 9; a
passport book's two Cyrillic capitals and six digits) and flat numbers ("кв. 12", "квартира 12",
"apt 5"), found and masked in one pass.

What a city's public pages and its events must not carry (citizen-requests' publication policy,
`domain/publication.py`; every event with free text). Names cannot be found by a pattern: the
publication policy keeps a text with one private until staff look at it.
"""

from __future__ import annotations

import re

# One alternation, one pass: every quantifier bounded and none nested, so each start position costs
# a bounded amount of work and a text of n characters costs O(n) (tests/test_linear_parsers.py).
_SEP = r"[ \-()]{0,2}"  # between the digits of a phone number: spaces, dashes, brackets
_PHONE = (r"(?<!\d)(?:\+[ ]?)?(?:3" + _SEP + "8" + _SEP + ")?0" + "".join(_SEP + r"\d" for _ in range(9)) + r"(?!\d)")
_LABEL = r"[\w\-]{1,63}"  # one part of a domain name
# Up to four parts after the '@' (a sentence's full stop after it is not one), each group separated by
# its dot, so none can take another's characters.
_EMAIL = r"[\w.+\-]{1,64}@" + _LABEL + r"\." + _LABEL + r"(?:\." + _LABEL + r")?(?:\." + _LABEL + r")?"
_PERSONAL_ID = r"(?<!\d)\d{9,10}(?!\d)"  # РНОКПП (10 digits), an ID card's number (9)
_PASSPORT = r"(?<![^\W\d_])(?-i:[А-ЯІЇЄҐ]{2})[ ]?№?[ ]?\d{6}(?!\d)"  # a passport book: two Cyrillic letters, six digits
_FLAT = r"(?<![^\W\d_])(?:кв\.?|квартир[а-яіїє]{0,3}|apt\.?|apartment|flat)[ ]{0,3}№?[ ]{0,3}\d{1,5}(?!\d)"
PERSONAL = re.compile(
    f"(?P<email>{_EMAIL})|(?P<phone>{_PHONE})|(?P<flat>{_FLAT})|(?P<passport>{_PASSPORT})|(?P<id>{_PERSONAL_ID})",
    re.IGNORECASE)
MASKS = {"email": "[e-mail приховано]", "phone": "[телефон приховано]", "flat": "[квартиру приховано]",
         "passport": "[документ приховано]", "id": "[номер приховано]"}


def _masked(match: re.Match) -> str:
    return MASKS[match.lastgroup]


def mask(text: str) -> str:
    """`text` with every phone number, e-mail address, personal id and flat number replaced by
    what it was ("[телефон приховано]"), in one pass."""
    return PERSONAL.sub(_masked, text)


