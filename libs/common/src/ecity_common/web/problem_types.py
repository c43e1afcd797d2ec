"""Every problem `type` the four services answer, in one registry (issue 21).

A problem's `type` is `https://ecity.sumy.ua/problems/<slug>`; its `title` is the registry's, in
the caller's language (English or Ukrainian, `ecity_common.phrases`), and its `status` the
registry's. So a client can branch on the `type` and show the `title`, knowing every one it may
meet: the README's table of them is generated from here (`readme_table`) and a test compares the
two. A new reason to refuse is a new line here first; code naming a slug that is not here fails
tests/test_problem_types.py (which reads every service's sources), and answers, at run time, the
generic type of its status rather than an undocumented one.

A refusal's `code` (`ecity_common.refusals`) is a slug of this registry; so is a `Problem`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

PROBLEM_TYPE_BASE = "https://ecity.sumy.ua/problems/"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str  # English
    title_uk: str
    description: str  # one line: when a service answers it

    @property
    def uri(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug

    def title_in(self, language: str) -> str:
        return self.title_uk if language == "uk" else self.title


_TYPES = (
    # -- any service, the shared layer's ---------------------------------------------------------
    ProblemType("bad-request", 400, "Bad request", "Некоректний запит",
                "The request cannot be read as it is (e.g. a malformed header)."),
    ProblemType("unknown-filter", 400, "Unknown filter", "Невідомий фільтр",
                "A list was asked to filter by something it has no filter for."),
    ProblemType("bad-idempotency-key", 400, "Bad Idempotency-Key", "Некоректний Idempotency-Key",
                "An Idempotency-Key header that is empty or longer than 255 characters."),
    ProblemType("authentication-required", 401, "Authentication required", "Потрібна автентифікація",
                "No bearer token was sent to a route that needs one."),
    ProblemType("invalid-token", 401, "Invalid token", "Недійсний токен",
                "The bearer token was refused (expired, another service's, badly signed); the same words whatever the reason."),
    ProblemType("api-key-required", 401, "API key required", "Потрібен ключ API",
                "A route for a utility company or the network management system got no key, or one it does not know."),
    ProblemType("forbidden", 403, "Forbidden", "Доступ заборонено",
                "The caller is known but may not do this (a role it lacks, another's thing)."),
    ProblemType("not-found", 404, "Not found", "Не знайдено",
                "No such address, or no such thing (or not one this caller may know of)."),
    ProblemType("method-not-allowed", 405, "Method not allowed", "Метод не дозволено",
                "The address exists but does not take this HTTP method."),
    ProblemType("conflict", 409, "Conflict", "Конфлікт",
                "The thing's state does not allow this now."),
    ProblemType("idempotency-key-reused", 409, "Idempotency-Key reused", "Idempotency-Key використано повторно",
                "An Idempotency-Key already used with a different request."),
    ProblemType("stale", 412, "Changed since you read it", "Змінено відтоді, як ви це прочитали",
                "The caller acted on a version that has changed since (If-Match)."),
    ProblemType("precondition-failed", 412, "Precondition failed", "Передумову не виконано",
                "An If-Match header that is not an ETag this API gave."),
    ProblemType("body-too-large", 413, "Request body too large", "Тіло запиту завелике",
                "The body is larger than the route reads; `max_body_bytes` says how large it may be."),
    ProblemType("validation-error", 422, "Invalid request", "Некоректний запит",
                "One or more fields break a rule; `errors` names each field and why."),
    ProblemType("too-many-requests", 429, "Too many requests", "Забагато запитів",
                "Too many, too often; `Retry-After` says when to try again."),
    ProblemType("internal-error", 500, "Internal server error", "Внутрішня помилка сервера",
                "Something unexpected; logged with the request's trace id, nothing of it in the answer."),
    ProblemType("unavailable", 503, "Service temporarily unavailable", "Сервіс тимчасово недоступний",
                "The database, the broker or something else it needs is away; `Retry-After` says when to try again."),
    # -- citizen-requests ------------------------------------------------------------------------
    ProblemType("illegal-transition", 409, "Not allowed in this status", "Неможливо в цьому статусі",
                "The status cannot go from its current value to the one asked (requests, network objects)."),
    ProblemType("not-reopenable", 409, "Cannot be reopened", "Не можна відкрити знову",
                "Only a resolved request can be reopened, within the days the rules allow."),
    ProblemType("category-exists", 409, "Category exists", "Категорія вже існує",
                "A category with this code is already in the catalogue."),
    ProblemType("private-text", 409, "Not to be published", "Не для оприлюднення",
                "The citizen asked that this text is not published (or the city wrote it): a moderator cannot publish it."),
    ProblemType("already-decided", 409, "Already decided", "Вже вирішено",
                "The moderation decision would change nothing: the thing is in that state already."),
    ProblemType("never-public", 409, "Never public", "Ніколи не публікується",
                "The IT department's network incidents are never public: they cannot be shown."),
    ProblemType("personal-data", 422, "Personal data in public text", "Персональні дані в публічному тексті",
                "A moderator's public text still holds a phone number, an e-mail address, a personal id or a flat number."),
    ProblemType("filing-suspended", 403, "Filing suspended", "Подання призупинено",
                "A moderator suspended this citizen's filing of requests (their creation limit is zero)."),
    ProblemType("citizen-limited", 429, "Citizen's own limit reached", "Досягнуто особистого ліміту",
                "A moderator limited how many requests this citizen may file per window; `Retry-After` says when."),
    ProblemType("service-stopping", 503, "Service restarting", "Сервіс перезапускається",
                "The service stopped while filing the request; nothing was filed, file it again."),
    # -- utilities-gateway -----------------------------------------------------------------------
    ProblemType("edrpou-registered", 409, "Company already registered", "Підприємство вже зареєстровано",
                "A company with this EDRPOU code is already registered."),
    ProblemType("key-rotated", 403, "Key rotated", "Ключ замінено",
                "A key in its overlap after rotation cannot rotate or revoke keys; use the newer key."),
    ProblemType("revoke-other-key", 403, "Cannot revoke another key", "Не можна відкликати інший ключ",
                "A key can revoke only itself; the city's integrations staff revoke a company's other keys."),
    ProblemType("request-final", 409, "Request no longer the company's", "Звернення вже не у роботі підприємства",
                "The routed request is resolved, rejected or unrouted; its status cannot be changed by the company."),
    ProblemType("expected-date-past", 422, "Expected date in the past", "Очікувана дата в минулому",
                "Planned work's expected date must be in the future."),
    ProblemType("outside-service-area", 422, "Outside the service area", "Поза зоною обслуговування",
                "An outage's area is not within the company's service area."),
    ProblemType("eic-bound-elsewhere", 409, "Metering point bound elsewhere", "Точку обліку закріплено за іншим",
                "The EIC is bound to another company; moving it takes `transfer: true`."),
    ProblemType("outage-resolved", 409, "Outage resolved", "Відключення завершено",
                "A resolved outage cannot change; report a new one."),
    # -- budget-ledger ---------------------------------------------------------------------------
    ProblemType("year-closed", 409, "Year closed", "Рік закрито",
                "An entry into a year whose execution is final."),
    ProblemType("already-approved", 409, "Already approved", "Вже схвалено",
                "The proposal was already approved; it cannot be decided otherwise."),
    ProblemType("already-rejected", 409, "Already rejected", "Вже відхилено",
                "The proposal was already rejected; it cannot be decided otherwise."),
    ProblemType("head-does-not-hold", 409, "Signed head does not hold", "Підписаний стан не підтверджується",
                "The ledger's last signed head no longer matches its entries; nothing is signed until it is looked into."),
    ProblemType("chain-broken", 409, "Ledger chain broken", "Ланцюжок реєстру порушено",
                "An entry's hash does not follow from the one before it."),
    ProblemType("import-refused", 422, "Import refused", "Імпорт відхилено",
                "A file to import has rows that break rules; `errors` names each (`rows[N].column`); nothing was imported."),
    # -- network-registry ------------------------------------------------------------------------
    ProblemType("no-path", 404, "No working path", "Немає робочого шляху",
                "No path of working links joins the two sites."),
    # -- notifications ---------------------------------------------------------------------------
    ProblemType("too-many-places", 409, "Too many places", "Забагато адрес",
                "A citizen follows at most ten places; remove one before adding another."),
    ProblemType("too-many-alerts", 409, "Too many alerts", "Забагато сповіщень",
                "A citizen keeps at most ten local alerts; remove one before adding another."),
)

PROBLEM_TYPES: dict[str, ProblemType] = {t.slug: t for t in _TYPES}

# The generic type of a status, for an answer the framework gives (an unknown address, a method the
# route does not take) and for a slug that is not registered.
_BY_STATUS = {400: "bad-request", 401: "authentication-required", 403: "forbidden", 404: "not-found",
              405: "method-not-allowed", 409: "conflict", 412: "stale", 413: "body-too-large",
              422: "validation-error", 429: "too-many-requests", 503: "unavailable"}


def for_status(status: int) -> ProblemType:
    """The generic problem type of an HTTP status (any other 4xx: bad-request; 5xx: internal-error)."""
    slug = _BY_STATUS.get(status) or ("bad-request" if 400 <= status < 500 else "internal-error")
    return PROBLEM_TYPES[slug]


def readme_table() -> str:
    """The registry as the README shows it (its section on errors; tests/test_problem_types.py)."""
    lines = ["| `type` (after `https://ecity.sumy.ua/problems/`) | status | title | title (uk) | when |",
             "|---|---|---|---|---|"]
    lines += [f"| `{t.slug}` | {t.status} | {t.title} | {t.title_uk} | {t.description} |" for t in _TYPES]
    return "\n".join(lines) + "\n"
