"""The service catalogue (Open311 "services"): categories of requests, who handles them, the
answer term, and the attributes a citizen fills in. No I/O.

The catalogue lives in the database (`adapters/catalogue_store.py`), starts as `SUMY_CATALOGUE`
below, and staff change it through the API (`entrypoints/http/catalogue.py`); a `Catalogue` is one
consistent snapshot.

Routing: a category is handled by a city department, or by the utility company serving the
place, which utilities-gateway finds from the category's `utility_kind` (`Category.routed_to_utility`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from citizen_requests.domain.deadlines import Term
from citizen_requests.domain.phrases import Phrase
from ecity_common.inputs import unwritable

# The kinds of attribute a category may ask for (Open311's datatypes): the only list of them.
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class AttributeRejected(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"attribute[{code}]: {message}")
        self.code, self.message = code, message


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: Datatype
    description: str
    required: bool = False
    order: int = 1
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for the list types
    variable: bool = True

    def as_open311(self) -> dict:
        return {"variable": self.variable, "code": self.code, "datatype": self.datatype, "required": self.required,
                "datatype_description": self.datatype_description or None, "order": self.order,
                "description": self.description, "values": [{"key": k, "name": n} for k, n in self.values]}

    def parse(self, raw: list[str]) -> object:
        """The answer as posted (`attribute[code]=v`, lists as `attribute[code][]=v`), checked."""
        if self.datatype == "multivaluelist":
            keys = {k for k, _ in self.values}
            bad = [v for v in raw if v not in keys]
            if bad:
                raise AttributeRejected(self.code, Phrase("not-among", value=bad, allowed=sorted(keys)))
            return raw
        if len(raw) != 1:
            raise AttributeRejected(self.code, Phrase("one-value"))
        value = raw[0].strip()
        if self.datatype == "number":
            try:
                number = float(value)
            except ValueError:
                raise AttributeRejected(self.code, Phrase("a-number")) from None
            if not math.isfinite(number):  # "nan", "inf", "1e999": no JSON (so no database) can keep them
                raise AttributeRejected(self.code, Phrase("a-finite-number"))
            return number
        if self.datatype == "datetime":
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
            except ValueError:
                raise AttributeRejected(self.code, Phrase("a-date-and-time")) from None
        if self.datatype == "singlevaluelist":
            keys = {k for k, _ in self.values}
            if value not in keys:
                raise AttributeRejected(self.code, Phrase("not-among", value=repr(value), allowed=sorted(keys)))
            return value
        if (reason := unwritable(value, prose=self.datatype == "text")) is not None:
            raise AttributeRejected(self.code, reason)
        limit = 4000 if self.datatype == "text" else 500
        if len(value) > limit:
            raise AttributeRejected(self.code, Phrase("attribute-at-most", most=limit))
        return value


HandlerKind = Literal["department", "utility"]
# What a category's place is: a street, a park, a lamp post ("public_space": its exact point and
# address are public, so that a crew and a neighbour find it), or somebody's home (no water in a
# flat, heating: rounded to ~100 m, no address, in anything public). Unknown means home.
PlaceKind = Literal["public_space", "home"]


@dataclass(frozen=True)
class Category:
    code: str
    name_uk: str
    name_en: str
    group: str
    handler_kind: HandlerKind
    term: Term
    description: str = ""
    keywords: tuple[str, ...] = ()
    utility_kind: str | None = None
    department: str | None = None
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)
    duplicate_radius_m: int = 50
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    # A withdrawn category is no longer offered; requests already filed in it keep it.
    active: bool = True
    place_kind: PlaceKind = "home"  # the safe default: rounded (domain/publication.py)

    @property
    def routed_to_utility(self) -> bool:
        """Sent on to the company serving the place (utilities-gateway routes it by `utility_kind`),
        not to a city department."""
        return self.utility_kind is not None

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)

    def check_answers(self, answers: dict[str, list[str]]) -> dict[str, object]:
        known = {a.code: a for a in self.attributes}
        unknown = sorted(set(answers) - set(known))
        if unknown:
            raise AttributeRejected(unknown[0], Phrase("not-an-attribute", category=self.code))
        checked = {code: known[code].parse(raw) for code, raw in answers.items()}
        missing = [a.code for a in self.attributes if a.required and a.code not in checked]
        if missing:
            raise AttributeRejected(missing[0], Phrase("required-attribute"))
        return checked


class Catalogue(Mapping[str, Category]):
    """An immutable snapshot of the catalogue, by code (withdrawn categories included)."""

    def __init__(self, categories: Iterable[Category], version: str = "") -> None:
        self._by_code = {c.code: c for c in categories}
        self.version = version

    def __getitem__(self, code: str) -> Category:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def offered(self) -> list[Category]:
        """What citizens can choose from, in the catalogue's order."""
        return [c for c in self._by_code.values() if c.active]


def _list(*pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple((pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2))


SUMY_CATALOGUE: tuple[Category, ...] = (
    Category("pothole", "Вибоїна на дорозі", "Pothole", "Дороги", "department", "1_month",
             "Яма або руйнування покриття дороги чи тротуару", ("дорога", "яма", "асфальт"), department="city_infrastructure",
             attributes=(Attribute("size", "singlevaluelist", "Розмір", True, 1, values=_list("small", "до 30 см", "medium", "30–100 см", "large", "понад 1 м")),),
             duplicate_radius_m=30, place_kind="public_space"),
    Category("street_light", "Не світить ліхтар", "Street light out", "Освітлення", "department", "15_days",
             "Вуличний ліхтар не горить або блимає", ("освітлення", "ліхтар"), department="city_infrastructure",
             attributes=(Attribute("pole_number", "string", "Номер опори, якщо видно", False, 1),), place_kind="public_space"),
    Category("fallen_tree", "Повалене або аварійне дерево", "Fallen or dangerous tree", "Благоустрій", "department", "15_days",
             "Дерево впало або загрожує падінням", ("дерево", "зелені насадження"), department="city_infrastructure", place_kind="public_space"),
    Category("water_leak", "Витік води", "Water leak", "Вода і каналізація", "utility", "15_days",
             "Порив трубопроводу, вода на вулиці чи в підвалі", ("вода", "порив", "водоканал"), utility_kind="water",
             attributes=(Attribute("where", "singlevaluelist", "Де тече", True, 1, values=_list("street", "на вулиці", "basement", "у підвалі", "flat", "у квартирі")),),
             duplicate_radius_m=100),
    Category("no_water", "Немає холодної води", "No cold water", "Вода і каналізація", "utility", "15_days",
             "Відсутнє холодне водопостачання", ("вода",), utility_kind="water"),
    Category("no_hot_water", "Немає гарячої води", "No hot water", "Тепло і гаряча вода", "utility", "15_days",
             "Відсутнє гаряче водопостачання", ("гаряча вода",), utility_kind="heating"),
    Category("heating", "Холодно в оселі", "Heating too low", "Тепло і гаряча вода", "utility", "15_days",
             "Температура в приміщенні нижча за норму", ("опалення", "тепло"), utility_kind="heating",
             attributes=(Attribute("temperature", "number", "Температура в кімнаті, °C", True, 1),
                         Attribute("since", "datetime", "Відколи", False, 2))),
    Category("waste_collection", "Не вивезено сміття", "Waste not collected", "Сміття", "utility", "15_days",
             "Переповнені контейнери, сміття не вивозять", ("сміття", "контейнер"), utility_kind="waste", place_kind="public_space"),
    Category("no_electricity", "Немає електроенергії", "No electricity", "Електроенергія", "utility", "15_days",
             "Відсутнє електропостачання будинку або вулиці", ("світло", "електрика"), utility_kind="electricity"),
    Category("gas_supply", "Проблеми з газопостачанням", "Gas supply problem", "Газ", "utility", "15_days",
             "Немає газу або низький тиск (запах газу — дзвоніть 104)", ("газ",), utility_kind="gas"),
    Category("institution_network", "Немає мережі в школі чи установі", "No network at a school or office", "Мережа МТКМ",
             "department", "15_days", "Не працює інтернет або мережа міської установи", ("інтернет", "мережа", "школа"),
             department="it_department",
             attributes=(Attribute("institution", "string", "Назва закладу чи установи", True, 1),)),
    Category("admin_certificate", "Довідка чи адміністративна послуга", "Certificate or administrative service",
             "Адміністративні послуги", "department", "1_month", "Запит довідки, виписки чи консультації",
             ("довідка", "ЦНАП"), department="admin_services", type="batch",
             attributes=(Attribute("kind", "singlevaluelist", "Що потрібно", True, 1,
                                   values=_list("residence", "довідка про місце проживання", "extract", "витяг", "consultation", "консультація")),
                         Attribute("delivery", "multivaluelist", "Як отримати відповідь", False, 2,
                                   values=_list("email", "електронною поштою", "post", "поштою", "in_person", "особисто")))),
)
