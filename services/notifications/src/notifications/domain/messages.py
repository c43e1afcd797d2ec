"""The Ukrainian text of each message, plain and HTML. Times in Kyiv's time, as citizens read them."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from notifications.domain.channels import Outgoing
from notifications.domain.deliveries import RequestNews

KYIV = ZoneInfo("Europe/Kyiv")

# citizen-requests' workflow statuses (its domain/workflow.py) as a citizen reads them; an unknown one is shown as is.
STATUS_NAMES = {
    "submitted": "подано",
    "accepted": "прийнято",
    "assigned": "передано виконавцю",
    "in_progress": "у роботі",
    "planned": "заплановано",
    "action_scheduled": "роботи призначено",
    "resolved": "виконано",
    "not_responsible": "не належить до відання виконавця",
    "duplicate": "дублікат іншого звернення",
    "no_further_action": "без подальших дій",
    "closed": "закрито",
}


def _when(moment: datetime) -> str:
    return moment.astimezone(KYIV).strftime("%d.%m.%Y о %H:%M")


def request_news(news: RequestNews, *, address: str, message_id: str) -> Outgoing:
    status = STATUS_NAMES.get(news.to_status, news.to_status)
    subject = f"Звернення {news.request_id}: {status}"
    lines = [f"Стан вашого звернення {news.request_id} змінено: {status} ({_when(news.changed_at)})."]
    if news.public_note:
        lines.append(f"Коментар: {news.public_note}")
    if news.expected_at and not news.closed:
        lines.append(f"Очікуваний термін виконання: {_when(news.expected_at)}.")
    lines.append("Ви отримали цей лист, бо подали це звернення або стежите за ним.")
    text = "\n\n".join(lines) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    page = f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head><body>{body}</body></html>'
    return Outgoing(address=address, message_id=message_id, subject=subject, text=text, html=page)


def contact_confirmation(*, address: str, link: str, valid_until: datetime, message_id: str) -> Outgoing:
    """The one mail sent to an address not yet confirmed: it asks whether its owner wants mail at all."""
    subject = "Підтвердіть адресу для сповіщень Сумського e-City"
    lines = [
        f"Хтось (сподіваємося, ви) вказав адресу {address} для сповіщень про звернення до міста.",
        f"Щоб отримувати їх, відкрийте посилання до {_when(valid_until)}:",
        link,
        "Якщо це були не ви, нічого не робіть: без підтвердження на цю адресу більше нічого не надійде.",
    ]
    text = "\n\n".join(lines) + "\n"
    body = "".join(f'<p><a href="{html.escape(line)}">{html.escape(line)}</a></p>' if line == link
                   else f"<p>{html.escape(line)}</p>" for line in lines)
    page = f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head><body>{body}</body></html>'
    return Outgoing(address=address, message_id=message_id, subject=subject, text=text, html=page)
