"""What the notifications service says when it refuses, in English and in Ukrainian (issue 21).

Every refusal's detail is `Phrase(key, **values)` of this catalogue; import `Phrase` from here, so
that whatever says one has registered its words. A key is a stable name (clients may log it); the
values are formatted as in English. The words a citizen reads in a mail are the templates', not
these: these answer an app or a browser that called the API.
"""

from __future__ import annotations

from ecity_common.phrases import Phrase, register

__all__ = ["Phrase"]

register({
    # what "not found" names (ecity_common.refusals.NotFound: "не знайдено: звернення r-1")
    "thing:alert": ("alert", "сповіщення"),
    "thing:contact": ("contact", "контакт"),
    "thing:place": ("place", "місце"),
    "thing:push subscription": ("push subscription", "push-підписку"),
    "thing:subscription": ("subscription", "підписку"),
    # a browser's push subscription (domain/push.py, use_cases/push_subscriptions.py)
    "endpoint-at-most": ("at most {most} characters", "щонайбільше {most} символів"),
    "endpoint-https": ("must be an https URL of a push service", "має бути https-адресою служби push-сповіщень"),
    "endpoint-no-credentials": ("must carry no user, password or fragment",
                                "не може містити ім'я користувача, пароль або фрагмент (#)"),
    "endpoint-on-internet": ("must name a push service on the Internet",
                             "має вказувати на службу push-сповіщень в інтернеті"),
    "not-base64url": ("must be base64url", "має бути в кодуванні base64url"),
    "p256dh-uncompressed": ("must be an uncompressed P-256 point (65 bytes)",
                            "має бути нестиснутою точкою кривої P-256 (65 байтів)"),
    "p256dh-not-on-curve": ("is not a point of P-256", "не є точкою кривої P-256"),
    "auth-16-bytes": ("must be 16 bytes", "має містити 16 байтів"),
    "too-many-devices": ("at most {most} devices; remove one first",
                         "щонайбільше {most} пристроїв; спершу видаліть один із них"),
    # a citizen's e-mail and its links (domain/contacts.py, domain/links.py, use_cases/contacts.py)
    "email-at-most": ("at most 254 characters", "щонайбільше 254 символи"),
    "email-shape": ("an e-mail address: name@domain", "адреса електронної пошти: ім'я@домен"),
    "email-local-part": ("the part before @ has a character an address does not",
                         "частина перед @ містить символ, якого в адресі бути не може"),
    "email-domain": ("the domain after @ is not a domain name (an internationalised one is written in its xn-- form)",
                     "частина після @ не є доменним іменем (кириличний домен записують у формі xn--)"),
    "confirmations-per-hour": ("at most {most} confirmation mails an hour",
                               "щонайбільше {most} листів із підтвердженням на годину"),
    "address-replaced": ("this address was replaced or removed after the link was sent",
                         "цю адресу замінено або видалено після того, як посилання було надіслано"),
    "link-damaged": ("the link is damaged or was not made by this service",
                     "посилання пошкоджене або створене не цією службою"),
    "link-not-for": ("the link is not for {purpose}", "це посилання не для дії {purpose}"),
    "link-expired": ("the link has expired", "строк дії посилання минув"),
    "one-click-body": ("the body is List-Unsubscribe={one_click} (RFC 8058)",
                       "тіло запиту — List-Unsubscribe={one_click} (RFC 8058)"),
    # places and alerts (use_cases/places.py, use_cases/nearby.py, entrypoints/http/places.py)
    "point-outside-sumy": ("the point is outside Sumy", "точка поза межами Сум"),
    "lat-and-long-or-neither": ("give both lat and long, or neither", "зазначте і lat, і long, або жодного"),
    "street-and-house": ("give the street and the house number (вул. Соборна, 12), or a point",
                         "зазначте вулицю й номер будинку (вул. Соборна, 12) або точку"),
    "too-many-places": ("at most {most} places per citizen: remove one first",
                        "щонайбільше {most} місць на одного мешканця: спершу видаліть одне з них"),
    "too-many-alerts": ("at most {most} alerts per citizen: remove one first",
                        "щонайбільше {most} сповіщень на одного мешканця: спершу видаліть одне з них"),
    "coordinate-needs-other": ("{missing} is required with the other coordinate",
                               "{missing} обов'язкове разом з іншою координатою"),
    "give-lat-and-long": ("give both lat and long", "зазначте і lat, і long"),
    "point-or-address": ("give a point (lat and long) or an address", "зазначте точку (lat і long) або адресу"),
    "lat-long-or-address": ("give lat and long, or an address", "зазначте lat і long або адресу"),
})
