"""What the service says when it refuses a citizen or the staff, in English and in Ukrainian (issue 21).

Every refusal's detail is `Phrase(key, **values)` of this catalogue; import `Phrase` from here, so
that whatever says one has registered its words. A key is a stable name (clients may log it); the
values are formatted as in English (dates ISO 8601). A status and a category's code are the API's
own words (`resolved`, `water_leak`) and are said as they are in both languages. Open311 keeps
its own error list, in English, as its clients expect.
"""

from __future__ import annotations

from ecity_common.phrases import Phrase, register

__all__ = ["Phrase"]

register({
    # what "not found" names (ecity_common.refusals.NotFound: "не знайдено: звернення r-1")
    "thing:category": ("category", "категорію"),
    "thing:comment": ("comment", "коментар"),
    "thing:photo": ("photo", "фото"),
    "thing:request for token": ("request for token", "звернення для токена"),
    "thing:request": ("request", "звернення"),
    "thing:service request": ("service request", "звернення"),
    # photos (domain/photos.py, use_cases/photos.py)
    "photos-at-most": ("at most {most} photos", "щонайбільше {most} фото"),
    "photo-twice": ("the same photo is given twice", "те саме фото зазначено двічі"),
    "one-of": ("one of {choices}", "одне з: {choices}"),
    "photos-waiting": ("at most {most} photos may wait to be attached to a request",
                       "щонайбільше {most} фото можуть чекати, доки їх додадуть до звернення"),
    "photo-not-yours": ("each photo must be one you uploaded and not yet attached",
                        "кожне фото має бути завантажене вами і ще не додане"),
    # filing a request (domain/requests.py, domain/catalogue.py, domain/limits.py, entrypoints/http/requests.py)
    "outside-the-city": ("{axis} must be within the city of Sumy ({low}..{high})",
                         "{axis} має бути в межах міста Суми ({low}..{high})"),
    "unknown-category": ("unknown category {code!r}", "невідома категорія {code!r}"),
    "category-withdrawn": ("the category {code!r} is no longer offered", "категорія {code!r} більше не доступна"),
    "description-at-most": ("at most 4,000 characters", "щонайбільше 4 000 символів"),
    "no-html": ("HTML is not allowed", "HTML не допускається"),
    "address-at-most": ("at most 500 characters", "щонайбільше 500 символів"),
    "location-or-address": ("give a location (lat/long) or an address", "зазначте місце (lat/long) або адресу"),
    "coordinate-required": ("{missing} is required with the other coordinate",
                            "{missing} обов'язкове разом з іншою координатою"),
    "both-coordinates": ("give both lat and long", "зазначте і lat, і long"),
    "per-citizen-limit": ("at most {most} requests per citizen per {minutes} minutes",
                          "щонайбільше {most} звернень від одного мешканця за {minutes} хв"),
    "per-client-limit": ("this client may file at most {most} requests per {minutes} minutes",
                         "цей застосунок може подати щонайбільше {most} звернень за {minutes} хв"),
    "desk-closed": ("the service is restarting; file the request again",
                    "служба перезапускається; подайте звернення ще раз"),
    # a category's attributes (domain/catalogue.py)
    "not-among": ("{value} not among {allowed}", "{value} немає серед {allowed}"),
    "one-value": ("one value", "одне значення"),
    "a-number": ("a number", "число"),
    "a-finite-number": ("a finite number", "скінченне число"),
    "a-date-and-time": ("an ISO 8601 date and time", "дата й час у форматі ISO 8601"),
    "attribute-at-most": ("at most {most} characters", "щонайбільше {most} символів"),
    "not-an-attribute": ("not an attribute of {category}", "це не атрибут категорії {category}"),
    "required-attribute": ("required", "обов'язкове поле"),
    # moving a request on (domain/workflow.py, domain/deadlines.py, use_cases/*)
    "illegal-transition": ("a {current} request cannot become {wanted} (allowed: {allowed})",
                           "звернення зі статусом {current} не може стати {wanted} (дозволено: {allowed})"),
    "none-allowed": ("none", "жодного"),
    "extension-reason": ("an extension needs a reason the citizen is told",
                         "продовження строку потребує причини, яку буде повідомлено заявникові"),
    "extension-later": ("an extension moves the deadline later", "продовження переносить строк на пізнішу дату"),
    "extension-45-days": ("the term may not pass 45 days in total: {limit} at the latest",
                          "загальний строк не може перевищувати 45 днів: не пізніше {limit}"),
    "not-reopenable": ("only a resolved request can be reopened, within {days} days",
                       "повторно відкрити можна лише виконане звернення, протягом {days} днів"),
    "not-own-duplicate": ("a request is not a duplicate of itself", "звернення не може бути дублікатом самого себе"),
    "request-cursor": ("not a cursor of this list: pass back a page's next_cursor as it is",
                       "це не курсор цього списку: передайте next_cursor сторінки без змін"),
    "statistics-period": ("to must be on or after from, within a year",
                          "to має бути не раніше за from і в межах одного року"),
    # the catalogue (entrypoints/http/catalogue.py, use_cases/catalogue.py)
    "code-in-path": ("the code in the body must be the code in the path", "код у тілі запиту має збігатися з кодом в адресі"),
    "list-needs-values": ("a {datatype} needs values", "атрибут типу {datatype} потребує значень"),
    "no-values": ("a {datatype} has no values", "атрибут типу {datatype} не має значень"),
    "value-keys-unique": ("value keys must be unique", "ключі значень мають бути унікальними"),
    "utility-category": ("a utility category names its utility_kind (and no department)",
                         "категорія комунальних послуг зазначає utility_kind (і не зазначає department)"),
    "department-category": ("a department category names its department (and no utility_kind)",
                            "категорія підрозділу зазначає department (і не зазначає utility_kind)"),
    "attribute-codes-unique": ("attribute codes must be unique", "коди атрибутів мають бути унікальними"),
    "no-html-in-names": ("no HTML in names or description", "HTML не допускається в назвах та описі"),
    "category-exists": ("{code}: a category with this code exists", "{code}: категорія з таким кодом уже існує"),
    # moderation (domain/moderation.py, domain/limits.py, use_cases/moderation.py)
    "private-text": ("the citizen asked that this is not published (or the city wrote it): it stays private",
                     "заявник просив не оприлюднювати це (або це написало місто): воно залишається приватним"),
    "redaction-needs-text": ("redacting needs the text the public will read",
                             "редагування потребує тексту, який бачитиме загал"),
    "redaction-personal-data": ("the public text still holds personal data (a phone, an e-mail, an id, a flat number)",
                                "публічний текст ще містить персональні дані (телефон, e-mail, номер документа, квартиру)"),
    "text-only-with-redaction": ("only a redaction takes a text, not {action}",
                                 "текст передають лише з редагуванням, а не з {action}"),
    "photo-publish-or-hide": ("a photo is published or hidden, not {action}",
                              "фото оприлюднюють або приховують, а не {action}"),
    "own-limit-range": ("between 0 and {most}, or null for the city's limit",
                        "від 0 до {most}, або null для міського ліміту"),
    "already-decided": ("the {target} is {state} already", "{target}: стан {state} уже встановлено"),
    "photo-on-no-request": ("the photo is on no request yet: there is nothing public to decide",
                            "фото ще не додано до звернення: немає чого вирішувати для загалу"),
    "never-public": ("the IT department's incidents are never public",
                     "інциденти ІТ-департаменту ніколи не оприлюднюються"),
    "queue-cursor": ("not a cursor of this queue: pass back a page's next_cursor as it is",
                     "це не курсор цієї черги: передайте next_cursor сторінки без змін"),
    "filing-suspended": ("a moderator suspended this citizen's filing of requests; the city's contact centre can say why",
                         "модератор призупинив подання звернень цим мешканцем; причину пояснить контакт-центр міста"),
    "citizen-limited": ("a moderator limited this citizen to {most} requests per {minutes} minutes",
                        "модератор обмежив цього мешканця до {most} звернень за {minutes} хв"),
})
