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
    if news.about == "comment":
        subject = f"Звернення {news.request_id}: коментар"
        lines = [f"До звернення {news.request_id} додано коментар ({_when(news.changed_at)}):", news.public_note or ""]
    elif news.about == "note":
        subject = f"Звернення {news.request_id}: нове повідомлення"
        lines = [f"Новини щодо звернення {news.request_id} ({_when(news.changed_at)}): {news.public_note}"]
    else:
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


def plural(n: int, one: str, few: str, many: str) -> str:
    """Ukrainian plural of a count: 1 година, 2 години, 5 годин, 11 годин, 21 година, 22 години."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def duration(seconds: float) -> str:
    """'2 дні 3 години', '1 година 5 хвилин', '45 хвилин': the two largest units, as people say it."""
    minutes = max(int(seconds // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} {plural(days, 'день', 'дні', 'днів')}")
    if hours:
        parts.append(f"{hours} {plural(hours, 'година', 'години', 'годин')}")
    if mins and not days:
        parts.append(f"{mins} {plural(mins, 'хвилина', 'хвилини', 'хвилин')}")
    return " ".join(parts[:2]) or "менше хвилини"


KIND_NAMES = {
    "electricity": "електропостачання",
    "water": "водопостачання",
    "heating": "теплопостачання",
    "gas": "газопостачання",
    "sewerage": "водовідведення",
    "network": "зв'язок МТКМ",
}


def outage_news(context: dict, *, address: str, message_id: str) -> Outgoing:
    """An outage at the citizen's place(s): it began, its expected end moved, or it is over.
    `context` is what use_cases.outage_news wrote: change, facts, places (the citizen's addresses it
    covers), at (the event's time)."""
    change, places = context["change"], context["places"]
    what = KIND_NAMES.get(context["kind"], context["kind"])
    where = "; ".join(places)
    at = datetime.fromisoformat(context["at"])
    end = datetime.fromisoformat(context["expected_end"]) if context.get("expected_end") else None
    starts = datetime.fromisoformat(context["starts_at"]) if context.get("starts_at") else None
    planned = "Планове" if context["planned"] else "Аварійне"
    if change == "ended":
        subject = f"Відновлено {what}: {where}"
        lines = [f"{what.capitalize()} за адресою {where} відновлено ({_when(at)}). Постачальник: {context['provider']}."]
    elif change == "end_moved":
        subject = f"Змінено строк відключення ({what}): {where}"
        lines = [f"Відключення ({what}) за адресою {where}: "
                 + (f"тепер очікуване відновлення {_when(end)}." if end else "строк відновлення наразі невідомий.")]
    else:
        subject = f"{planned} відключення ({what}): {where}"
        lines = [f"{planned} відключення ({what}) за адресою {where}. Постачальник: {context['provider']}."]
        if starts and starts > at:
            lines.append(f"Початок: {_when(starts)}.")
        if end:
            left = (end - max(at, starts or at)).total_seconds()
            lines.append(f"Очікуване відновлення: {_when(end)} (приблизно через {duration(left)}).")
        else:
            lines.append("Строк відновлення наразі невідомий.")
    if context.get("description"):
        lines.append(f"Район відключення: {context['description']}")
    return _outgoing(subject, lines, "Ви отримали цей лист, бо зареєстрували цю адресу в сервісі сповіщень e-City.",
                     address=address, message_id=message_id, tag=f"outage-{context['outage']}")


def _outgoing(subject: str, lines: list[str], footer: str, *, address: str, message_id: str, tag: str,
              link: str | None = None) -> Outgoing:
    """The letter (its lines and why it was sent, plain and HTML) and the device's notification (the
    lines alone, replacing an older one with the same tag)."""
    letter = [*lines, footer]
    text = "\n\n".join(letter) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in letter)
    page = f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head><body>{body}</body></html>'
    return Outgoing(address=address, message_id=message_id, subject=subject, text=text, html=page,
                    summary="\n".join(lines), link=link, tag=tag)


def _category(said: dict) -> str:
    """A category as citizens read it: its name, or its code from an event that did not carry one."""
    return said.get("service_name") or said["service_code"]


def local_alert(context: dict, *, address: str, message_id: str) -> Outgoing:
    """A new request of a followed category near the citizen's chosen point."""
    subject = f"Нове звернення поруч ({_category(context)}): {context['request_id']}"
    lines = [f"Подано нове звернення {context['request_id']} (категорія «{_category(context)}») "
             f"за {context['distance_m']} м від обраної вами точки, {_when(datetime.fromisoformat(context['submitted_at']))}.",
             "Ви можете стежити за ним, щоб знати, як його виконують."]
    return _outgoing(subject, lines, "Ви отримали цей лист, бо налаштували сповіщення про звернення поблизу.",
                     address=address, message_id=message_id, tag=f"alert-{context['request_id']}")


def alert_digest(context: dict, *, address: str, message_id: str) -> Outgoing:
    """The day's new requests near the citizen's chosen points, in one message."""
    found = context["requests"]
    n = len(found)
    subject = f"Звернення поблизу: {n} {plural(n, 'нове', 'нових', 'нових')}"
    lines = [f"Від попереднього огляду подано {n} {plural(n, 'нове звернення', 'нових звернення', 'нових звернень')} "
             "поблизу обраних вами точок:"]
    lines += [f"• {r['request_id']} ({_category(r)}), {_when(datetime.fromisoformat(r['submitted_at']))}" for r in found]
    return _outgoing(subject, lines, "Ви отримали цей лист, бо обрали щоденний огляд звернень поблизу.",
                     address=address, message_id=message_id, tag=f"digest-{context['on']}")


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
