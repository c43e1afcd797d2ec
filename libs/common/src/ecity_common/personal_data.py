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
_WITHOUT_EMAIL = f"(?P<phone>{_PHONE})|(?P<flat>{_FLAT})|(?P<passport>{_PASSPORT})|(?P<id>{_PERSONAL_ID})"
PERSONAL = re.compile(f"(?P<email>{_EMAIL})|{_WITHOUT_EMAIL}", re.IGNORECASE)
# What the patterns cost is their lookbehinds, tried at every position (about 50 µs for a
# 200-character description with a house number in it, a tenth of a filing). So the text is first
# looked at for what each kind cannot do without, with patterns that start with a character and so
# skip ahead in C: an e-mail address has an '@'; a phone number, a personal id and a passport six
# digits in a row (spaces, dashes, brackets between them); a flat number a flat's word and a digit.
# A text with none of them (most descriptions: "буд. 12", "з 8 ранку") is not searched at all.
_PERSONAL_WITHOUT_EMAIL = re.compile(_WITHOUT_EMAIL, re.IGNORECASE)
_SIX_DIGITS = re.compile(r"\d" + _SEP + r"\d" + _SEP + r"\d" + _SEP + r"\d" + _SEP + r"\d" + _SEP + r"\d")
_FLAT_WORDS = ("кв", "apt", "flat")  # (the starts of every word _FLAT knows; `in` on the lowered text: a
#                                     case-blind regex of Cyrillic words skips nothing, three times slower)
_DIGIT = re.compile(r"\d")
MASKS = {"email": "[e-mail приховано]", "phone": "[телефон приховано]", "flat": "[квартиру приховано]",
         "passport": "[документ приховано]", "id": "[номер приховано]"}


def _masked(match: re.Match) -> str:
    return MASKS[match.lastgroup]


def mask(text: str) -> str:
    """`text` with every phone number, e-mail address, personal id and flat number replaced by
    what it was ("[телефон приховано]"), in one pass."""
    if "@" in text:
        return PERSONAL.sub(_masked, text)
    if _DIGIT.search(text) is None:
        return text
    if _SIX_DIGITS.search(text) is None and not any(word in text.lower() for word in _FLAT_WORDS):
        return text
    return _PERSONAL_WITHOUT_EMAIL.sub(_masked, text)


