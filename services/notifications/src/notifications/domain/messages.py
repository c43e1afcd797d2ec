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


def request_news(news: RequestNews, *, address: str, message_id: str, link: str | None = None) -> Outgoing:
    status = STATUS_NAMES.get(news.to_status, news.to_status)
    subject = f"Звернення {news.request_id}: {status}"
    lines = [f"Стан вашого звернення {news.request_id} змінено: {status} ({_when(news.changed_at)})."]
    if news.public_note:
        lines.append(f"Коментар: {news.public_note}")
    if news.expected_at and not news.closed:
        lines.append(f"Очікуваний термін виконання: {_when(news.expected_at)}.")
    summary = "\n".join(lines)  # a device's notification: no letter's footer
    lines.append("Ви отримали цей лист, бо подали це звернення або стежите за ним.")
    text = "\n\n".join(lines) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    page = f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head><body>{body}</body></html>'
    return Outgoing(address=address, message_id=message_id, subject=subject, text=text, html=page,
                    summary=summary, link=link, tag=f"request-{news.request_id}")
