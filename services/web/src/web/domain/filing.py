"""Filing a request as a form: the category's questions (its Open311 service definition) as
inputs, the posted form as citizen-requests' `NewRequest`, and the API's refusals next to the input
they are about. No I/O, no framework: a form here is a mapping of names to lists of values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# What a question is drawn as, by its Open311 datatype.
INPUTS = {"string": "text", "text": "textarea", "number": "number", "datetime": "datetime-local",
          "singlevaluelist": "select", "multivaluelist": "checkboxes"}

# Inputs of the form itself (the place and the description); a question's input is `attr-<code>`.
PLACE_FIELDS = ("address", "lat", "long")


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    input: str
    required: bool
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return f"attr-{self.code}"


def questions_of(definition: Mapping) -> list[Question]:
    """The questions of an Open311 service definition (`services/{code}.json`), in their order;
    only those the citizen answers (`variable`)."""
    attributes = sorted(definition.get("attributes") or [], key=lambda a: (a.get("order") or 0, a.get("code", "")))
    return [Question(code=a["code"], text=a.get("description") or a["code"], input=INPUTS.get(a.get("datatype"), "text"),
                     required=bool(a.get("required")), hint=a.get("datatype_description") or "",
                     choices=tuple((v["key"], v.get("name") or v["key"]) for v in a.get("values") or []))
            for a in attributes if a.get("variable", True)]


@dataclass
class Filed:
    """A posted form read: what to send (`body`), or what the citizen must fix first (`errors`,
    by input name)."""

    body: dict
    errors: dict[str, str] = field(default_factory=dict)


def _one(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def read_filing(service_code: str, questions: list[Question], form: Mapping[str, list[str]]) -> Filed:
    """The form as a NewRequest. Only what a browser cannot send right is checked here (a number
    field left half-filled); every rule of the request is citizen-requests' to apply, and its
    answer comes back to the same inputs (`errors_by_input`)."""
    errors: dict[str, str] = {}
    body: dict = {"service_code": service_code, "description": _one(form, "description"),
                  "publish": _one(form, "publish") == "on"}
    if address := _one(form, "address"):
        body["address"] = address
    lat, long = _one(form, "lat"), _one(form, "long")
    if lat or long:
        for name, raw in (("lat", lat), ("long", long)):
            try:
                body[name] = float(raw.replace(",", "."))
            except ValueError:
                errors[name] = "Вкажіть число (наприклад 50.9077)" if raw else "Вкажіть обидві координати"
    answers: dict[str, object] = {}
    for question in questions:
        values = [v.strip() for v in form.get(question.name) or [] if v.strip()]
        if not values:
            continue
        answers[question.code] = values if question.input == "checkboxes" else values[0]
    body["attributes"] = answers
    return Filed(body=body, errors=errors)


def input_of(field_name: str) -> str:
    """The form input an API error's `field` is about: `attributes.floor` → `attr-floor`,
    `location.lat` → `lat`, `location` (neither a point nor an address) → `address`; anything
    else (a limit, the category) is the form's as a whole: `""`."""
    name = field_name.removeprefix("body.")
    if name.startswith("attributes."):
        return f"attr-{name.split('.', 1)[1]}"
    if name in ("location.lat", "lat"):
        return "lat"
    if name in ("location.long", "long"):
        return "long"
    if name in ("location", "address"):
        return "address"
    if name == "description":
        return "description"
    return ""


# What an input's refusal says when the service had no Ukrainian words for it (a domain rule's own
# text is English until it gets a phrase in ecity_common.phrases): the person still reads Ukrainian.
UKRAINIAN_FALLBACK = {
    "address": "Вкажіть адресу або позначте місце на мапі (широту й довготу)",
    "lat": "Широта має бути в межах Сум (близько 50.9)",
    "long": "Довгота має бути в межах Сум (близько 34.8)",
    "description": "Перевірте опис: без HTML, не довше 4000 символів",
    "": "Звернення не прийнято: перевірте форму",
}


def errors_by_input(problem: Mapping, *, in_ukrainian: bool = True) -> dict[str, str]:
    """An API's problem+json as messages by form input (`""` for the form as a whole): each of its
    `errors[]` next to its input, else its detail (or title) on top. `in_ukrainian`: whether the
    service said it in Ukrainian (its Content-Language); if not, the web's own words stand in."""
    found: dict[str, str] = {}
    for error in problem.get("errors") or []:
        key = input_of(str(error.get("field", "")))
        message = str(error.get("message", ""))
        if not in_ukrainian:
            message = UKRAINIAN_FALLBACK.get(key) or ("Перевірте відповідь" if key.startswith("attr-") else message)
        found.setdefault(key, message)
    if not found:
        found[""] = str(problem.get("detail") or problem.get("title") or "Запит не прийнято")
    return found
