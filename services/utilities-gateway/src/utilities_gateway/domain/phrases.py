"""What the gateway says when it refuses, in English and in Ukrainian (issue 21).

Every refusal's detail is `Phrase(key, **values)` of this catalogue; import `Phrase` from here, so
that whatever says one has registered its words. A key is a stable name (clients may log it); the
values are formatted as in English (times ISO 8601). A kind of company, a status and an event
type are the API's own words (`water`, `resolved`) and are said as they are in both languages.
"""

from __future__ import annotations

from ecity_common.phrases import Phrase, register

__all__ = ["Phrase"]

register({
    # what "not found" names (ecity_common.refusals.NotFound: "не знайдено: звернення r-1")
    "thing:company": ("company", "компанію"),
    "thing:delivery": ("delivery", "доставку"),
    "thing:key": ("key", "ключ"),
    "thing:meter": ("meter", "лічильник"),
    "thing:photo": ("photo", "фото"),
    "thing:routed request": ("routed request", "передане звернення"),
    "thing:outage": ("outage", "відключення"),
    "thing:readings of meter": ("readings of meter", "показники лічильника"),
    "thing:webhook endpoint": ("webhook endpoint", "адресу вебхука"),
    # a company's photos of its work (use_cases/report_photos.py)
    "report-photos-waiting": ("at most {most} photos may wait to be attached to a report",
                              "щонайбільше {most} фото можуть чекати, доки їх додадуть до звіту"),
    "report-photos-at-most": ("at most {most} photos, none twice", "щонайбільше {most} фото, без повторів"),
    "report-photo-not-yours": ("each photo must be one your company uploaded and not yet attached",
                               "кожне фото має бути завантажене вашою компанією і ще не додане"),
    # a company's key (entrypoints/http/common.py, domain/access.py)
    "company-key-required": ("Send your company's API key as 'Authorization: Bearer ugw_…'.",
                             "Надішліть API-ключ вашої компанії в заголовку 'Authorization: Bearer ugw_…'."),
    "key-not-accepted": ("missing, unknown, expired or revoked key", "ключ відсутній, невідомий, прострочений або відкликаний"),
    "key-rotated": ("this key has been rotated and works only until its overlap ends: it cannot rotate or revoke "
                    "keys; use the newer key",
                    "цей ключ уже замінено, і він діє лише до кінця перехідного періоду: ним не можна замінювати чи "
                    "відкликати ключі; скористайтеся новим ключем"),
    "revoke-only-itself": ("a key can revoke only itself; to revoke your company's other keys, ask the city's "
                           "integrations staff",
                           "ключ може відкликати лише сам себе; щоб відкликати інші ключі вашої компанії, зверніться "
                           "до працівників міста, відповідальних за інтеграції"),
    # meters (domain/meters.py, domain/meter_bindings.py)
    "eic-shape": ("an EIC code is 16 characters: digits, capital letters, '-'",
                  "код EIC складається з 16 символів: цифр, великих латинських літер і '-'"),
    "eic-check-character": ("EIC check character should be {expected!r}", "контрольний символ EIC має бути {expected!r}"),
    "account-number": ("an account number is 4 to 20 digits", "особовий рахунок — від 4 до 20 цифр"),
    "meters-are-accounts": ("a {kind} company's meters are its own account numbers; only electricity and gas "
                            "metering points have EICs to bind",
                            "лічильники компанії типу {kind} — це її власні особові рахунки; коди EIC для прив'язки "
                            "мають лише точки обліку електроенергії та газу"),
    "eic-of-other-kind": ("{eic} is a metering point of {meter_kind}, not of {kind}",
                          "{eic} — точка обліку типу {meter_kind}, а не {kind}"),
    "eic-bound-elsewhere": ("{eic} is bound to company {company_id}; to move it, send \"transfer\": true",
                            "{eic} прив'язано до компанії {company_id}; щоб перенести її, надішліть \"transfer\": true"),
    # the inbox, outages and requests (domain/inbox.py, domain/outages.py, domain/routed_requests.py)
    "inbox-cursor": ("not a cursor this inbox handed out: use next_cursor of the page before, or 0",
                     "це не курсор цієї скриньки: використайте next_cursor попередньої сторінки або 0"),
    "outage-resolved": ("this outage is resolved; report a new one", "цю аварію вже усунуто; повідомте про нову"),
    "outage-nothing-to-change": ("nothing to change: send area, expected_end or cause",
                                 "немає чого змінювати: надішліть area, expected_end або cause"),
    "expected-end-after-start": ("expected_end must be after starts_at", "expected_end має бути пізніше за starts_at"),
    "planned-needs-date": ("planned work needs expected_datetime", "для запланованих робіт потрібен expected_datetime"),
    "rejection-needs-reason": ("a rejection needs a reason", "відхилення має містити причину"),
    "cannot-be-null": ("{name} cannot be null", "{name} не може бути null"),
    "not-a-category-code": ("{code!r} is not a category code (lower-case letters, digits, _)",
                            "{code!r} не є кодом категорії (малі латинські літери, цифри, _)"),
    "request-final": ("the request is {current}; it cannot become {wanted}",
                      "звернення має статус {current}; його не можна змінити на {wanted}"),
    "expected-date-past": ("must not be in the past (it is {now} now)", "не може бути в минулому (зараз {now})"),
    # companies, webhooks and the audit log (use_cases/*, domain/notices.py, domain/targets.py)
    "nothing-to-change": ("nothing to change", "немає чого змінювати"),
    "edrpou-registered": ("a company with EDRPOU {edrpou} is already registered",
                          "компанію з кодом ЄДРПОУ {edrpou} уже зареєстровано"),
    "list-cursor": ("not a cursor of this list: pass back a page's next_cursor as it is",
                    "це не курсор цього списку: передайте next_cursor сторінки без змін"),
    "unknown-event-types": ("unknown event types {unknown}; known: {known}",
                            "невідомі типи подій {unknown}; відомі: {known}"),
    "url-https": ("the URL must use https", "URL має використовувати https"),
    "url-no-host": ("the URL has no host", "в URL немає хоста"),
    "url-credentials": ("credentials in the URL are not allowed; the signature authenticates us",
                        "облікові дані в URL не допускаються; нас засвідчує підпис"),
    "url-too-long": ("the URL is longer than {most} characters", "URL довший за {most} символів"),
    "not-a-url": ("not a URL: {reason}", "це не URL: {reason}"),
    "host-does-not-resolve": ("{host} does not resolve: {reason}", "ім'я {host} не розв'язується: {reason}"),
    "host-internal": ("{host} is an internal name", "{host} — внутрішнє ім'я"),
    "host-not-public": ("{host} resolves to an address that is not public", "{host} вказує на непублічну адресу"),
    "host-address": ("{host}: {problem}", "{host}: {problem}"),
    "address-site-local": ("{ip} is a site-local address", "{ip} — локальна адреса вузла (site-local)"),
    "address-loopback": ("{ip} is a loopback address", "{ip} — адреса зворотного зв'язку (loopback)"),
    "address-link-local": ("{ip} is a link-local address", "{ip} — локальна адреса каналу (link-local)"),
    "address-private": ("{ip} is a private address", "{ip} — приватна адреса"),
    "address-multicast": ("{ip} is a multicast address", "{ip} — адреса групової розсилки (multicast)"),
    "address-unspecified": ("{ip} is a unspecified address", "{ip} — невизначена адреса (unspecified)"),
    "address-not-global-ipv6": ("{ip} is not a global unicast IPv6 address",
                                "{ip} не є глобальною одноадресною IPv6-адресою"),
    "address-not-public": ("{ip} is not a public address", "{ip} не є публічною адресою"),
})
