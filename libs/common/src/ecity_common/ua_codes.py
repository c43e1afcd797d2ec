"""Ukrainian registry codes that more than one service validates.

EDRPOU (ЄДРПОУ): the 8-digit code of a legal entity, its last digit a check digit (weighted sum
mod 11, weights by the code's range, a second pass with weights + 2 when the remainder is 10).
The check is python-stdnum's `ua.edrpou`, a maintained implementation with published test codes.
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.ua import edrpou as _edrpou


def validate_edrpou(code: str) -> str:
    """The code, compacted; ValueError saying which rule it breaks."""
    try:
        return _edrpou.validate(code)
    except InvalidLength:
        raise ValueError("EDRPOU is 8 digits") from None
    except InvalidFormat:
        raise ValueError("EDRPOU is 8 digits") from None
    except InvalidChecksum:
        raise ValueError("EDRPOU check digit does not match (the last digit is a weighted sum mod 11)") from None
