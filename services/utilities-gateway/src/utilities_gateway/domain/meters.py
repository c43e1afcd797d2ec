"""Meter readings: what a company may send for a meter, checked before anything is stored. No I/O.

Electricity and gas metering points are named by EIC codes (16 characters, the last a check
character per ENTSO-E: values 0–9, A–Z = 10–35, '-' = 36, weights 16 down to 2, check value
36 − ((sum − 1) mod 37)); water and heat meters by the company's account number. A reading is a
cumulative register value, so per meter and reading type it never decreases over time.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from ecity_common.inputs import Moment, Text
from utilities_gateway.domain.phrases import Phrase

EIC_ALPHABET = string.digits + string.ascii_uppercase + "-"
_EIC = re.compile(r"[0-9A-Z][0-9A-Z-]{14}[0-9A-Z-]")
_ACCOUNT = re.compile(r"\d{4,20}")
# The kinds whose meters are named by EIC codes (the rest by the company's account numbers).
EIC_KINDS = frozenset({"electricity", "gas"})
MAX_BATCH = 10_000
# A reading for an EIC the city has not bound to the sending company: the same words whether the
# EIC is another company's or nobody's, so that a company learns nothing of who meters what.
NOT_BOUND = "the city has not bound this EIC to your company"
# Clocks of meters and of data concentrators drift; a reading a little "in the future" is not an error.
CLOCK_SKEW = timedelta(minutes=5)

# reading type → the units a company of each kind may report it in
READING_UNITS: dict[str, dict[str, frozenset[str]]] = {
    "electricity": {"active_energy_import": frozenset({"kWh", "MWh"}), "active_energy_export": frozenset({"kWh", "MWh"}),
                    "reactive_energy": frozenset({"kvarh"})},
    "gas": {"volume": frozenset({"m3"})},
    "water": {"cold_water_volume": frozenset({"m3"}), "hot_water_volume": frozenset({"m3"})},
    "heating": {"heat_energy": frozenset({"Gcal", "MWh", "kWh"}), "heat_carrier_volume": frozenset({"m3", "t"})},
    "waste": {},
}


_EIC_VALUE = {ch: n for n, ch in enumerate(EIC_ALPHABET)}


def eic_check_character(first15: str) -> str:
    total = sum(_EIC_VALUE[ch] * w for ch, w in zip(first15, range(16, 1, -1), strict=False))
    return EIC_ALPHABET[36 - ((total - 1) % 37)]


def is_valid_eic(code: str) -> bool:
    return bool(_EIC.fullmatch(code)) and eic_check_character(code[:15]) == code[15]


@lru_cache(maxsize=200_000)  # the same meters report every day; their ids need checking once
def meter_id_problem(kind: str, meter_id: str) -> str | None:
    if kind in EIC_KINDS:
        if not _EIC.fullmatch(meter_id):
            return Phrase("eic-shape")
        if eic_check_character(meter_id[:15]) != meter_id[15]:
            return Phrase("eic-check-character", expected=eic_check_character(meter_id[:15]))
        return None
    if not _ACCOUNT.fullmatch(meter_id):
        return Phrase("account-number")
    return None


def stored_prefix(kind: str, company_id: str) -> str:
    """What a meter id is stored under: an EIC code is unique in Europe, so as it is (and only the
    city binds it to a company: domain/meter_bindings.py); an account number is only unique within
    its company, so behind the company's id (water's account 00012345 is not heating's)."""
    return "" if kind in EIC_KINDS else f"{company_id}/"


class ReadingIn(BaseModel):
    meter_id: Text = Field(min_length=1, max_length=32, examples=["62Z1234567890124"])
    reading_type: Text = Field(min_length=1, max_length=40, examples=["active_energy_import"])
    unit: Text = Field(min_length=1, max_length=10, examples=["kWh"])
    value: float = Field(ge=0, le=1e12, allow_inf_nan=False)
    taken_at: Moment
    source: str = Field(default="remote", pattern=r"^(remote|manual|customer|estimated)$")


@dataclass(frozen=True)
class Rejection:
    index: int
    meter_id: str | None
    field: str
    reason: str


_READINGS = TypeAdapter(list[ReadingIn])


def parse(raw: list) -> tuple[dict[int, ReadingIn], list[Rejection]]:
    """Every reading that is well-formed, by its index in the batch, and why the others are not.
    One validation pass for a clean batch; a second, without the bad ones, when some are bad."""
    try:
        return dict(enumerate(_READINGS.validate_python(raw))), []
    except ValidationError as exc:
        bad: dict[int, Rejection] = {}
        for err in exc.errors(include_url=False):
            index = err["loc"][0] if err["loc"] and isinstance(err["loc"][0], int) else -1
            if index in bad:
                continue
            field = ".".join(str(p) for p in err["loc"][1:]) or "reading"
            meter = raw[index].get("meter_id") if 0 <= index < len(raw) and isinstance(raw[index], dict) else None
            bad[index] = Rejection(index, meter if isinstance(meter, str) else None, field, err["msg"])
        keep = [i for i in range(len(raw)) if i not in bad]
        good = _READINGS.validate_python([raw[i] for i in keep])
        return dict(zip(keep, good, strict=True)), sorted(bad.values(), key=lambda r: r.index)


def static_problem(kind: str, reading: ReadingIn, now: datetime) -> tuple[str, str] | None:
    """(field, reason) when a reading is wrong whatever is stored; None when it may go on."""
    if problem := meter_id_problem(kind, reading.meter_id):
        return "meter_id", problem
    units = READING_UNITS.get(kind, {})
    if not units:
        return "reading_type", f"a {kind} company has no meters"
    if reading.reading_type not in units:
        return "reading_type", f"a {kind} meter reports {', '.join(sorted(units))}"
    if reading.unit not in units[reading.reading_type]:
        return "unit", f"{reading.reading_type} is measured in {', '.join(sorted(units[reading.reading_type]))}"
    if reading.taken_at > now + CLOCK_SKEW:
        return "taken_at", "a reading cannot be taken in the future"
    return None


@dataclass
class Series:
    """What is stored of one meter register: its unit and its newest reading (epoch seconds)."""

    unit: str
    last_value: float | None = None
    last_taken_at: float | None = None


def order_problem(series: Series, reading: ReadingIn, before: float | None, after: float | None) -> str | None:
    """Why a reading breaks the register's history (a unit change, a decrease), else None.
    `before`/`after`: the stored values just before and after `taken_at` (None: none)."""
    if reading.unit != series.unit:
        return f"this meter's {reading.reading_type} is kept in {series.unit}"
    if before is not None and reading.value < before:
        return f"cumulative value decreased: {reading.value:g} after {before:g}"
    if after is not None and reading.value > after:
        return f"cumulative value {reading.value:g} exceeds a later reading of {after:g}"
    return None


def continues_register(series: Series, first: ReadingIn, first_ts: float) -> bool:
    """A batch's first reading of a register simply continues what is stored: the same unit, and
    the newest stored reading (if any) is older and not larger. Then, for a batch that rises by
    itself, `order_problem` has nothing to find in what is stored, and the register needs no
    closer look. adapters/meter_readings.py's SERIES statement says this in SQL (its WHERE NOT);
    the service's tests/test_rules_in_sql.py checks that both agree."""
    return series.unit == first.unit and (
        series.last_taken_at is None or (series.last_taken_at < first_ts and series.last_value <= first.value))
