"""What the registry says when it refuses, in English and in Ukrainian (issue 21).

Every refusal's detail is `Phrase(key, **values)` of this catalogue; import `Phrase` from here, so
that whatever says one has registered its words. A key is a stable name (clients may log it); the
values are formatted as in English. An object's kind and a status are the API's own words
(`device`, `decommissioned`) and are said as they are in both languages.
"""

from __future__ import annotations

from ecity_common.phrases import Phrase, register

__all__ = ["Phrase"]

register({
    # what "not found" names (ecity_common.refusals.NotFound: "не знайдено: звернення r-1")
    "thing:working path": ("working path", "робочий шлях"),
    "thing:site": ("site", "об'єкт"),
    "thing:device": ("device", "пристрій"),
    "thing:link": ("link", "лінію зв'язку"),
    "thing:fibre_link": ("fibre_link", "волоконну лінію"),
    # writing an object (adapters/queries.py, use_cases/inventory.py, domain/*)
    "id-taken": ("that id is already taken", "цей ідентифікатор уже зайнято"),
    "value-taken": ("another {kind} already has this {field}", "інший об'єкт ({kind}) уже має таке значення {field}"),
    "still-in-use": ("still in use by other objects ({constraint}): remove those first",
                     "досі використовується іншими об'єктами ({constraint}): спершу видаліть їх"),
    "status-cannot-go": ("status cannot go from {current} to {wanted} (allowed: {allowed})",
                         "статус не може змінитися з {current} на {wanted} (дозволено: {allowed})"),
    "status-none-decommissioned": ("none: it is decommissioned", "жодного: об'єкт виведено з експлуатації"),
    "version-stale": ("{kind} {object_id} is at version {version}, not {expected}{hint}",
                      "{kind} {object_id} має версію {version}, а не {expected}{hint}"),
    "read-it-again": (": read it again", ": прочитайте його знову"),
    "nothing-created": ("nothing was created: {reason}", "нічого не створено: {reason}"),
    "no-site": ("no site {site_id!r}", "немає вузла {site_id!r}"),
    "no-device": ("no device {device_id!r}", "немає пристрою {device_id!r}"),
    "lat-long-together": ("lat and long go together: give both, or neither",
                          "lat і long зазначають разом: обидва або жодного"),
    "outside-sumy": ("{axis} is outside the city of Sumy {bounds}", "{axis} поза межами міста Суми {bounds}"),
    "route-linestring": ("a GeoJSON LineString: {{type: LineString, coordinates: [[long, lat], …] (2 or more)}}",
                         "лінія GeoJSON LineString: {{type: LineString, coordinates: [[long, lat], …] (2 або більше)}}"),
    "link-two-devices": ("b_device_id must differ from a_device_id: a link joins two devices",
                         "b_device_id має відрізнятися від a_device_id: лінія з'єднує два пристрої"),
    # the HTTP edge (entrypoints/http/*)
    "csv-paths": ("csv/sites, csv/devices or csv/links", "csv/sites, csv/devices або csv/links"),
    "topology-pictures": ("topology.svg or topology.png", "topology.svg або topology.png"),
    "bad-rows": ("{count} bad row(s); nothing was imported", "помилкових рядків: {count}; нічого не імпортовано"),
    "unknown-column": ("unknown column", "невідомий стовпець"),
    "no-header": ("no header", "немає рядка заголовків"),
    "route-not-json": ("not JSON (a GeoJSON LineString)", "не JSON (очікується GeoJSON LineString)"),
    "if-match-not-ours": ("If-Match must be an ETag this API gave", "If-Match має бути ETag, виданим цим API"),
    "not-our-etag": ("not an ETag of this API", "це не ETag цього API"),
    "not-a-filter": ("{key} is not a filter of {kinds}", "{key} не є фільтром для {kinds}"),
    "unknown-filter": ("unknown filter", "невідомий фільтр"),
    "one-of-device-or-link": ("give exactly one of device or link", "зазначте щось одне: device або link"),
    "change-log-cursor": ("not a cursor of the change log: pass back a page's next_cursor as it is",
                          "це не курсор журналу змін: передайте next_cursor сторінки без змін"),
    # the monitoring system's report (domain/monitoring.py, entrypoints/http/monitoring.py)
    "nms-key-required": ("send the monitoring system's key as X-API-Key",
                         "надішліть ключ системи моніторингу в заголовку X-API-Key"),
    "element-kind": ("device or fibre_link", "device або fibre_link"),
    "element-state": ("down, up or maintenance", "down, up або maintenance"),
    "element-id": ("the element's id: one line of text, 1 to 200 characters",
                   "ідентифікатор елемента: один рядок тексту, від 1 до 200 символів"),
    "element-message": ("text of at most 2000 characters, without control characters but line breaks",
                        "текст щонайбільше 2000 символів, без керівних символів, крім розривів рядків"),
})
