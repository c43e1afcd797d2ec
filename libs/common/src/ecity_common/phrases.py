"""What the services say to a caller, in English or in Ukrainian (issue 21).

An error's `title` comes from the registry of problem types (`ecity_common.web.problem_types`), in
both languages. Its `detail` and each `errors[].message` are English as code writes them; those the
shared layer says (a field's rule from `ecity_common.inputs`, pydantic's common errors, a body that
is not JSON or too large, a refused token, a reused Idempotency-Key…) are a `Phrase`: a `str` that is
its English text, so code that logs or joins it sees plain text, and that also knows its words in
Ukrainian. A service says its own refusals in its own words: its `domain/phrases.py` adds them to
the catalogue with `register({key: (english, ukrainian)})` and re-exports `Phrase`, so that whatever
raises one has imported its words. Text that is not a `Phrase` (a plain `str`) has no Ukrainian
words and stays English in a Ukrainian answer, whose `Content-Language` then says `uk, en`;
tests/test_refusals_translated.py finds any a service types in place.

Which language: `Accept-Language` (RFC 9110 §12.5.4) with its q-values; English when the header is
missing or prefers neither. Field names (`errors[].field`) are the client's own and never translated.

No FastAPI here: a use case or a domain's rule may say a `Phrase` too.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

ENGLISH, UKRAINIAN = "en", "uk"
LANGUAGES = (ENGLISH, UKRAINIAN)
# The API's words were English from the start, and clients written against it read English; a
# Ukrainian answer is asked for.
DEFAULT_LANGUAGE = ENGLISH


def preferred_language(accept_language: str | None) -> str:
    """`uk-UA,uk;q=0.9,en;q=0.8` -> uk; `en, uk;q=0.5` -> en; nothing we speak, or no header -> en.
    The highest q wins, the earlier on a tie; `*` is any language (ours: the default); q=0 is "not
    this one"."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    refused: set[str] = set()
    for item in (accept_language or "").split(","):
        tag, *params = (part.strip() for part in item.split(";"))
        primary = tag.split("-")[0].lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0  # a malformed weight counts as none rather than as first choice
                if not 0 <= q <= 1:
                    q = 0.0
        if primary == "*":
            primary = DEFAULT_LANGUAGE
        if primary not in LANGUAGES:
            continue
        if q == 0:
            refused.add(primary)
        elif q > best_q:
            best, best_q = primary, q
    if best_q == 0 and DEFAULT_LANGUAGE in refused:
        # "anything but English" with no other language we speak: English all the same, the one
        # language every answer has.
        return DEFAULT_LANGUAGE
    return best


class Phrase(str):
    """English text that knows its Ukrainian words: `phrase("body-too-large", size="1 MiB")`."""

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, /, **params: Any) -> Phrase:
        english, _ = CATALOGUE[key]
        said = super().__new__(cls, english.format(**params))
        said.key, said.params = key, params
        return said

    def said_in(self, language: str) -> str | None:
        """This phrase in `language`, or None when it has no words there."""
        if language == ENGLISH:
            return str(self)
        return CATALOGUE[self.key][1].format(**_said_params(self.params, language))


def _said_params(params: dict[str, Any], language: str) -> dict[str, Any]:
    # A phrase inside a phrase (a reason in a sentence) is said in the same language.
    return {k: (v.said_in(language) or str(v)) if isinstance(v, Phrase) else v for k, v in params.items()}


phrase = Phrase


def fields_of(template: str) -> set[str]:
    """The named fields a template takes: `"no entry {entry_id!r} in {year}"` -> {entry_id, year}."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(template) if name}


def register(phrases: dict[str, tuple[str, str]]) -> None:
    """Add a service's own phrases to the catalogue, at its `domain/phrases.py`'s import.

    A key is the phrase's stable name for every service in one process (the tests import them
    all): one registered again with the same words is fine (a module imported twice), with other
    words it is refused, as is a Ukrainian template that takes other fields than its English one
    (it would fail only when said, as a 500)."""
    for key, words in phrases.items():
        if not (isinstance(words, tuple) and len(words) == 2 and all(isinstance(w, str) and w for w in words)):
            raise ValueError(f"phrase {key!r}: give (english, ukrainian), two templates")
        english, ukrainian = words
        if fields_of(english) != fields_of(ukrainian):
            raise ValueError(f"phrase {key!r}: the Ukrainian takes {sorted(fields_of(ukrainian))}, "
                             f"the English {sorted(fields_of(english))}")
        if CATALOGUE.get(key, words) != words:
            raise ValueError(f"phrase {key!r} is registered already with other words: {CATALOGUE[key]!r}")
    CATALOGUE.update(phrases)


def raised_by_validator(error: dict[str, Any]) -> Phrase | None:
    """The Phrase a model's validator raised (`raise ValueError(Phrase(…))`, or a refusal saying one),
    for a pydantic `value_error`; None when it raised plain English."""
    raised = (error.get("ctx") or {}).get("error") if error.get("type") == "value_error" else None
    said = getattr(raised, "detail", None) or (raised.args[0] if raised is not None and raised.args else None)
    return said if isinstance(said, Phrase) else None


def said_in(text: str, language: str) -> tuple[str, bool]:
    """`text` in `language`, and whether it is in it: a plain `str` is English (a domain's own words)."""
    if language == ENGLISH:
        return str(text), True
    if isinstance(text, Phrase):
        translated = text.said_in(language)
        if translated is not None:
            return translated, True
    return str(text), False


# key: (English, Ukrainian), each a str.format template of the phrase's params.
CATALOGUE: dict[str, tuple[str, str]] = {
    # a photo (ecity_common.photos)
    "photo-pixels": ("the photo has {width}×{height} pixels, more than {most} megapixels",
                     "фото має {width}×{height} пікселів, більше за {most} мегапікселів"),
    "photo-megapixels": ("the photo has more than {most} megapixels", "фото має більше за {most} мегапікселів"),
    "not-a-photo": ("not a photo: JPEG, PNG, WebP or HEIC/HEIF is expected",
                    "це не фото: очікується JPEG, PNG, WebP або HEIC/HEIF"),
    "photo-damaged": ("the photo cannot be read: it is damaged or incomplete",
                      "фото неможливо прочитати: файл пошкоджений або неповний"),
    "photo-form-unreadable": ("send the photo as multipart/form-data with a 'file' part",
                              "надішліть фото як multipart/form-data з частиною 'file'"),
    "photo-file-missing": ("the 'file' part with the photo is missing", "немає частини 'file' з фото"),
    "photos-busy": ("too many photos are being processed now; send it again shortly",
                    "зараз обробляється забагато фото; надішліть його ще раз трохи згодом"),
    # a request's body and headers
    "body-not-json": ("the body is not valid JSON: {reason} at line {line}, column {column}",
                      "тіло запиту не є коректним JSON: {reason} (рядок {line}, позиція {column})"),
    "body-not-sent-as-json": ("send the body as JSON with 'Content-Type: application/json' (this request's "
                              "Content-Type: {sent})",
                              "надішліть тіло як JSON із заголовком 'Content-Type: application/json' (у цьому "
                              "запиті Content-Type: {sent})"),
    "body-too-large": ("a request body here is at most {size}", "тіло запиту тут — щонайбільше {size}"),
    "idempotency-key-length": ("1 to 255 characters", "від 1 до 255 символів"),
    "idempotency-key-reused": ("this Idempotency-Key was used with another request",
                               "цей Idempotency-Key уже використано з іншим запитом"),
    "idempotency-key-other-request": ("used with another request", "використано з іншим запитом"),
    # who is calling
    "bearer-required": ("Send 'Authorization: Bearer <JWT>'.", "Надішліть 'Authorization: Bearer <JWT>'."),
    "token-refused": ("The bearer token was not accepted: sign in again, or ask for a new token.",
                      "Токен не прийнято: увійдіть знову або отримайте новий токен."),
    "role-required": ("This needs one of the roles: {roles}.", "Для цього потрібна одна з ролей: {roles}."),
    # the shared layer's answers
    "not-found": ("no {what} {key}", "не знайдено: {what} {key}"),
    "no-such": ("no such {what}", "не знайдено: {what}"),
    "no-route": ("nothing is at this address", "за цією адресою нічого немає"),
    "method-not-allowed": ("this address does not take {method}", "ця адреса не приймає {method}"),
    "unavailable": ("The database or the message broker is not reachable right now; nothing was saved. "
                    "Try again shortly.",
                    "База даних або брокер повідомлень зараз недоступні; нічого не збережено. Спробуйте трохи згодом."),
    "unexpected": ("An unexpected error occurred; it has been logged with this request's trace id.",
                   "Сталася неочікувана помилка; її записано в журнал з ідентифікатором трасування цього запиту."),
    "try-again-in": ("try again in {seconds} s", "спробуйте знову через {seconds} с"),
    # a field's rule (ecity_common.inputs)
    "control-character": ("contains a control character (U+{code:04X} at position {position})",
                          "містить керівний символ (U+{code:04X} на позиції {position})"),
    "control-character-prose": ("contains a control character (U+{code:04X} at position {position}); tab and "
                                "line breaks are allowed",
                                "містить керівний символ (U+{code:04X} на позиції {position}); табуляцію й "
                                "розриви рядків можна"),
    "parameter-name": ("a parameter's name {reason}", "назва параметра {reason}"),
    "at-least-characters": ("must have at least {min_length} character(s)",
                            "має містити щонайменше {min_length} символ(ів)"),
    "at-most-characters": ("must have at most {max_length} characters", "має містити щонайбільше {max_length} символів"),
    "between": ("must be between {low} and {high}{hint}", "має бути від {low} до {high}{hint}"),
    "deeper-pages": ("; for deeper pages follow the page's cursor, or narrow the filters",
                     "; для глибших сторінок ідіть за курсором сторінки або звузьте фільтри"),
    "in-years": ("must be in the years {first_year} to {last_year}", "має бути в роках від {first_year} до {last_year}"),
    # a file imported (ecity_common.inputs.MAX_IMPORT_ROWS), in any service that takes one
    "not-utf-8": ("not UTF-8 text", "це не текст у кодуванні UTF-8"),
    "not-csv-from-here": ("not CSV from this line on: {reason}", "з цього рядка це не CSV: {reason}"),
    "too-many-rows": ("more than {most:,} rows: split the file", "понад {most:,} рядків: розділіть файл"),
    "not-a-cursor": ("not a cursor this list gave: pass back a page's next cursor as it is",
                     "це не курсор цього списку: передайте next_cursor сторінки без змін"),
}

# pydantic's own error kinds, by their `type`, in Ukrainian (formatted with the error's `ctx`); its
# English `msg` stays as it is. A kind not here (a model's own `value_error`, unless its validator
# raised a refusal that says a Phrase) stays English.
PYDANTIC_UKRAINIAN: dict[str, str] = {
    "missing": "обов'язкове поле",
    "extra_forbidden": "невідоме поле",
    "string_type": "має бути рядком",
    "string_too_short": "має містити щонайменше {min_length} символ(ів)",
    "string_too_long": "має містити щонайбільше {max_length} символів",
    "string_pattern_mismatch": "має відповідати шаблону '{pattern}'",
    "int_type": "має бути цілим числом",
    "int_parsing": "має бути цілим числом",
    "int_from_float": "має бути цілим числом, без дробової частини",
    "float_type": "має бути числом",
    "float_parsing": "має бути числом",
    "decimal_parsing": "має бути числом",
    "finite_number": "має бути скінченним числом",
    "bool_type": "має бути true або false",
    "bool_parsing": "має бути true або false",
    "greater_than": "має бути більше за {gt}",
    "greater_than_equal": "має бути не менше за {ge}",
    "less_than": "має бути менше за {lt}",
    "less_than_equal": "має бути не більше за {le}",
    "multiple_of": "має бути кратним {multiple_of}",
    "literal_error": "має бути одним із: {expected}",
    "enum": "має бути одним із: {expected}",
    "date_type": "має бути датою (РРРР-ММ-ДД)",
    "date_parsing": "має бути датою (РРРР-ММ-ДД)",
    "date_from_datetime_parsing": "має бути датою (РРРР-ММ-ДД)",
    "datetime_type": "має бути датою й часом ISO 8601",
    "datetime_parsing": "має бути датою й часом ISO 8601",
    "datetime_from_date_parsing": "має бути датою й часом ISO 8601",
    "timezone_aware": "має містити часовий пояс",
    "uuid_type": "має бути UUID",
    "uuid_parsing": "має бути UUID",
    "url_type": "має бути URL",
    "url_parsing": "має бути URL",
    "url_scheme": "має бути URL зі схемою {expected_schemes}",
    "dict_type": "має бути об'єктом JSON",
    "model_type": "має бути об'єктом JSON",
    "model_attributes_type": "має бути об'єктом JSON",
    "list_type": "має бути списком",
    "too_short": "має містити щонайменше {min_length} елемент(ів)",
    "too_long": "має містити щонайбільше {max_length} елемент(ів)",
}


class _PydanticWords(Phrase):
    """One of pydantic's errors: its English `msg`, and its Ukrainian words by its `type`."""

    def __new__(cls, error: dict[str, Any]) -> Phrase:
        said = str.__new__(cls, error["msg"])
        said.key, said.params = error["type"], dict(error.get("ctx") or {})
        return said

    def said_in(self, language: str) -> str | None:
        if language == ENGLISH:
            return str(self)
        template = PYDANTIC_UKRAINIAN.get(self.key)
        if self.key == "value_error":
            # A validator that raised a refusal (a budget code checked as the body is parsed): its words.
            said = raised_by_validator({"type": self.key, "ctx": self.params})
            return said.said_in(language) if said is not None else None
        if self.key in ("too_short", "too_long") and self.params.get("field_type") not in ("List", "Tuple", "Set"):
            template = PYDANTIC_UKRAINIAN[f"string_{self.key}"]  # a length checked as a value's, of text
        if template is None:
            return None
        try:
            return template.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return None


def validation_words(error: dict[str, Any]) -> Phrase:
    """A pydantic error's message as a Phrase: one of ours (a custom error carries its phrase's key
    in its `ctx`) or one of pydantic's own kinds."""
    ctx = error.get("ctx") or {}
    if "phrase" in ctx:
        params = {k: v for k, v in ctx.items() if k != "phrase"}
        return Phrase(ctx["phrase"], **params)
    return _PydanticWords(error)


class FieldsSaid(Phrase):
    """Each field with its message, `field: message; field: message`: a validation problem's
    `detail`, in a language when every message has words in it."""

    def __new__(cls, errors: list[dict[str, Any]]) -> Phrase:
        said = str.__new__(cls, "; ".join(f"{e['field']}: {e['message']}" for e in errors))
        said.key, said.params, said.errors = "fields", {}, errors
        return said

    def said_in(self, language: str) -> str | None:
        parts = []
        for error in self.errors:
            message, translated = said_in(error["message"], language)
            if not translated:
                return None
            parts.append(f"{error['field']}: {message}")
        return "; ".join(parts)
