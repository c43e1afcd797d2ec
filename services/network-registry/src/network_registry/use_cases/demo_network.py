"""An ILLUSTRATIVE МТКМ of Sumy (demo data, not the real network): a core at city hall and the
data centre, a ring of district node cabinets, and about ninety institutions hanging off it —
schools, kindergartens, social-protection offices, administrative service centres, CCTV points —
some with a second uplink. Deterministic, so tests and demos see the same network."""

from __future__ import annotations

import random

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import hash_api_key, parse_api_key
from network_registry.adapters import queries
from network_registry.domain.objects import DEVICES, LINKS, SITES
from network_registry.use_cases import inventory
from network_registry.use_cases.inventory import Context

CENTRE = (50.9077, 34.7981)
DISTRICTS = ["Центр", "Ковпаківський", "Зарічний", "Химгородок", "Прокоф'єва", "Тополянська"]
KINDS = [("school", "Школа №{n}", "access_switch", "05"), ("kindergarten", "Дитячий садок №{n}", "access_switch", "05"),
         ("social_protection_office", "Терцентр соцобслуговування №{n}", "access_switch", "08"),
         ("admin_service_centre", "ЦНАП, віддалене робоче місце №{n}", "access_switch", "02"),
         ("cctv_point", "Камера відеоспостереження №{n}", "camera", "40")]


def demo_network() -> tuple[list[dict], list[dict], list[dict]]:
    rnd = random.Random(2021)
    site_rows, device_rows, link_rows = [], [], []

    def site(sid, name, kind, lat, long, holder):
        site_rows.append({"id": sid, "name": name, "kind": kind, "address": f"м. Суми, {name} (демо)", "lat": round(lat, 5),
                          "long": round(long, 5), "owner_holder_code": holder, "status": "active"})

    def device(did, name, role, sid, n):
        device_rows.append({"id": did, "name": name, "role": role, "site_id": sid, "status": "active",
                            "manufacturer": "Demo", "model": role.upper(), "serial": f"DEMO{n:05d}",
                            "mgmt_ip": f"10.{20 + n // 250}.{n % 250}.1"})

    def link(a, b, n, metres):
        link_rows.append({"id": f"link-{n:03d}", "name": f"ВОЛЗ {n:03d}", "a_device_id": a, "b_device_id": b,
                          "fibre_count": 24, "length_m": round(metres), "status": "active", "installed_on": "2021-06-01",
                          "measure_code": "02-1", "holder_code": "02"})

    site("site-city-hall", "Сумська міська рада", "city_hall", *CENTRE, "02")
    site("site-dc", "Міський центр обробки даних", "data_centre", CENTRE[0] + 0.004, CENTRE[1] - 0.006, "02")
    device("dev-core-1", "core-city-hall", "core", "site-city-hall", 1)
    device("dev-core-2", "core-dc", "core", "site-dc", 2)
    link("dev-core-1", "dev-core-2", 1, 800)
    n_dev, n_link = 2, 1
    cabinets = []
    for i, district in enumerate(DISTRICTS):
        lat, long = CENTRE[0] + 0.03 * (i % 3 - 1), CENTRE[1] + 0.035 * (i // 3 * 2 - 1)
        sid, did = f"site-cab-{i + 1}", f"dev-dist-{i + 1}"
        site(sid, f"Вузлова шафа {district}", "node_cabinet", lat, long, "02")
        n_dev += 1
        device(did, f"dist-{i + 1}", "distribution", sid, n_dev)
        cabinets.append((did, lat, long))
    for i, (did, _, _) in enumerate(cabinets):  # the ring, closed through both cores
        n_link += 1
        link(did, cabinets[(i + 1) % len(cabinets)][0], n_link, 2500 + rnd.randint(0, 1500))
    n_link += 1
    link("dev-core-1", cabinets[0][0], n_link, 1800)
    n_link += 1
    link("dev-core-2", cabinets[3][0], n_link, 2100)
    number = 0
    for i, (cab, lat, long) in enumerate(cabinets):
        for j in range(15):
            number += 1
            kind, label, role, holder = KINDS[(i + j) % len(KINDS)]
            sid, did = f"site-{number:03d}", f"dev-{number:03d}"
            site(sid, label.format(n=number), kind, lat + rnd.uniform(-0.01, 0.01), long + rnd.uniform(-0.01, 0.01), holder)
            n_dev += 1
            device(did, f"{role}-{number:03d}", role, sid, n_dev)
            n_link += 1
            link(did, cab, n_link, rnd.randint(200, 1500))
            if j % 4 == 0:  # every fourth institution has a second uplink, to the next cabinet
                n_link += 1
                link(did, cabinets[(i + 1) % len(cabinets)][0], n_link, rnd.randint(800, 3000))
    return site_rows, device_rows, link_rows


async def seed_demo(session: AsyncSession, outbox, monitoring_key: str) -> None:
    key_id = parse_api_key(monitoring_key)
    if key_id:
        await queries.add_monitoring_key(session, key_id, hash_api_key(monitoring_key), "demo NMS")
    if await queries.any_site(session):
        return  # already seeded (or real data): leave it alone
    ctx = Context(actor="demo seed (illustrative)", request_id="demo-seed", outbox=outbox, message="illustrative demo МТКМ")
    site_rows, device_rows, link_rows = demo_network()
    for kind, rows in ((SITES, site_rows), (DEVICES, device_rows), (LINKS, link_rows)):
        for row in rows:
            await inventory.create(session, ctx, kind, dict(row))
