"""Local demo data: one illustrative company of each kind Sumy has, each with a demo API key, and
the electricity and gas companies' demo meters, bound to them as the city binds EICs.

The kinds and the shape of the market are Sumy's (a municipal water utility, a heat supplier, an
oblast electricity distributor, a gas distribution branch, waste collection split by district);
the names carry "(демо)", and their EDRPOU codes are made up (valid check digits) — this is not
the companies' real registration data. Never seeded in a cluster (SEED_DEMO_DATA=false there).
"""

from __future__ import annotations

from sqlalchemy import select

from ecity_common.geo import SUMY_BOUNDS
from utilities_gateway.adapters.tables import companies
from utilities_gateway.domain.companies import CompanyProfile
from utilities_gateway.domain.meters import eic_check_character
from utilities_gateway.use_cases.company_credentials import issue_key
from utilities_gateway.use_cases.integrations_admin import create_company
from utilities_gateway.use_cases.meter_bindings import bind


def _box(south: float, north: float, west: float, east: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}


(_S, _N), (_W, _E) = SUMY_BOUNDS["lat"], SUMY_BOUNDS["long"]
# Sumy's centre is about 50.907 N; the Psel river splits the city's waste collection north/south here.
NORTH, SOUTH = _box(50.907, _N, _W, _E), _box(_S, 50.907, _W, _E)

DEMO_COMPANIES = [
    ("co-water-demo", "ugw_water001_local-development-only-key", {
        "name": "КП «Міськводоканал» Сумської міської ради (демо)", "kind": "water", "edrpou": "54330125",
        "contact_email": "dispatch@vodokanal.example", "contact_phone": "+380 542 000 001",
        "area": {"whole_city": True}}),
    ("co-heating-demo", "ugw_heat0001_local-development-only-key", {
        "name": "ТОВ «Сумитеплоенерго» (демо)", "kind": "heating", "edrpou": "25308294",
        "contact_email": "dispatch@teplo.example", "area": {"whole_city": True}}),
    ("co-electricity-demo", "ugw_elec0001_local-development-only-key", {
        "name": "АТ «Сумиобленерго» (демо)", "kind": "electricity", "edrpou": "66240390",
        "contact_email": "dispatch@oblenergo.example", "area": {"whole_city": True}}),
    ("co-gas-demo", "ugw_gas00001_local-development-only-key", {
        "name": "Сумська філія ТОВ «Газорозподільні мережі України» (демо)", "kind": "gas", "edrpou": "08101114",
        "contact_email": "104@gas.example", "area": {"whole_city": True}}),
    ("co-waste-north-demo", "ugw_wasteN01_local-development-only-key", {
        "name": "Вивіз відходів «Північ» (демо)", "kind": "waste", "edrpou": "12152790",
        "contact_email": "north@waste.example", "area": {"geometry": NORTH,
                                                         "streets": [{"street": "вул. Харківська"}]}}),
    ("co-waste-south-demo", "ugw_wasteS01_local-development-only-key", {
        "name": "Вивіз відходів «Південь» (демо)", "kind": "waste", "edrpou": "89906087",
        "contact_email": "south@waste.example", "area": {"geometry": SOUTH,
                                                         "streets": [{"street": "вул. Соборна"}]}}),
]


def demo_eic(area: str, serial: int) -> str:
    """A made-up EIC of a metering point: `area` (3 characters), the serial in 12 digits, the check character."""
    first = f"{area}{serial:012d}"
    return first + eic_check_character(first)


# Serials 0-99 of each: 62Z000000000000…, 56Z000000000000… (the tests' and the README's numbering;
# bench/utilities.py binds its 10,000 itself).
DEMO_METERS = {"co-electricity-demo": [demo_eic("62Z", n) for n in range(100)],
               "co-gas-demo": [demo_eic("56Z", n) for n in range(100)]}


async def seed_demo_companies(app) -> None:
    if not app.state.settings.seed_demo_data:
        return
    async with app.state.sessions() as session, session.begin():
        if await session.scalar(select(companies.c.id).limit(1)) is not None:
            return
        for company_id, key, profile in DEMO_COMPANIES:
            await create_company(session, CompanyProfile.model_validate(profile), company_id=company_id)
            await issue_key(session, company_id, "demo", plaintext=key, tell=False)
        for company_id, eics in DEMO_METERS.items():
            await bind(session, company_id, eics, by="demo data")
