"""The real programme, its budget holders, and an ILLUSTRATIVE split of its real totals.

Real (from the city's published report on the programme's execution):
- the programme "Automation of municipal telecommunication systems of the Sumy city territorial
  community for 2020–2022" and its four budget holders;
- the totals: 2020 planned 38 159,84 / financed 6 692,36; 2021 planned 43 545,36 / financed
  8 236,66 thousand UAH (so 2020–2021: 81 705,20 / 14 929,02, 18,27 %; 2021: 18,92 %);
- the department of city infrastructure appears only in 2020.
Illustrative (demo data, labelled `illustrative` on every measure and in every report): the split
of those totals across holders and measures, the measures themselves, the holders' 2-digit codes
and EDRPOU codes (check digits valid, numbers made up), the dates and document references.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import queries
from budget_ledger.domain.ledger import EntryDraft
from budget_ledger.domain.money import kop_from_thousands
from budget_ledger.domain.programme import BudgetHolder, MeasureSpec
from budget_ledger.use_cases.posting import post_entry
from budget_ledger.use_cases.programme import add_holder, add_measure
from ecity_common.messaging.outbox import Outbox

PROGRAMME = {
    "code": "SMR-ATS-2020-2022",
    "name_uk": "Автоматизація муніципальних телекомунікаційних систем на 2020-2022 роки Сумської міської територіальної громади",
    "name_en": "Automation of municipal telecommunication systems of the Sumy city territorial community for 2020–2022",
    "start_year": 2020,
    "end_year": 2022,
}

HOLDERS = [
    {"code": "02", "name_uk": "Виконавчий комітет Сумської міської ради", "name_en": "Executive committee of Sumy City Council",
     "is_main": True, "kpkvkmb": "0217520", "edrpou": "11111116"},
    {"code": "08", "name_uk": "Департамент соціального захисту населення СМР",
     "name_en": "Department of social protection of the population", "is_main": False, "kpkvkmb": "0817520", "edrpou": "22222221"},
    {"code": "06", "name_uk": "Управління освіти і науки СМР", "name_en": "Department of education and science",
     "is_main": False, "kpkvkmb": "0617520", "edrpou": "33333337"},
    {"code": "40", "name_uk": "Департамент інфраструктури міста СМР", "name_en": "Department of city infrastructure",
     "is_main": False, "kpkvkmb": "4017520", "edrpou": "44444442"},
]

# ТПКВКМБ 7520 "Реалізація Національної програми інформатизації", КФКВК 0460 "Зв'язок,
# телекомунікації та інформатика".
MEASURES = [
    ("02-1", "1", "02", "Розбудова мультисервісної телекомунікаційної мережі (МТКМ): волоконно-оптичні лінії зв'язку",
     "Building out the MTKM: fibre-optic lines", "3110", "special"),
    ("02-2", "2", "02", "Супровід і обслуговування МТКМ та сервісів «Електронного міста»",
     "Operating the MTKM and the e-City services", "2240", "general"),
    ("08-1", "1", "08", "Підключення територіальних центрів соціального обслуговування до МТКМ",
     "Connecting social service centres to the MTKM", "2240", "general"),
    ("06-1", "1", "06", "Підключення закладів освіти до МТКМ, мережеве обладнання",
     "Connecting schools to the MTKM: network equipment", "3110", "general"),
    ("40-1", "1", "40", "Система відеоспостереження в місцях загального користування",
     "CCTV in public places", "3110", "special"),
]

# (measure, year, kind, thousand UAH, direction)
_ENTRIES = [
    ("02-1", 2020, "appropriation", "20 000,00", None), ("02-1", 2020, "financing", "3 500,00", None),
    ("02-2", 2020, "appropriation", "10 159,84", None), ("02-2", 2020, "financing", "1 892,36", None),
    ("40-1", 2020, "appropriation", "4 000,00", None), ("40-1", 2020, "financing", "700,00", None),
    ("08-1", 2020, "appropriation", "2 000,00", None), ("08-1", 2020, "financing", "300,00", None),
    ("06-1", 2020, "appropriation", "2 000,00", None), ("06-1", 2020, "financing", "300,00", None),
    ("02-1", 2021, "appropriation", "27 000,00", None), ("02-1", 2021, "amendment", "2 000,00", "decrease"),
    ("02-1", 2021, "financing", "2 100,00", None), ("02-1", 2021, "financing", "2 000,00", None),
    ("02-2", 2021, "appropriation", "12 345,36", None), ("02-2", 2021, "financing", "2 936,66", None),
    ("08-1", 2021, "appropriation", "3 200,00", None), ("08-1", 2021, "financing", "600,00", None),
    ("06-1", 2021, "appropriation", "3 000,00", None), ("06-1", 2021, "financing", "600,00", None),
]


def demo_entries() -> list[EntryDraft]:
    kekv_fund = {code: (kekv, fund) for code, _, _, _, _, kekv, fund in MEASURES}
    drafts = []
    for n, (measure, year, kind, amount, direction) in enumerate(_ENTRIES, start=1):
        kekv, fund = kekv_fund[measure]
        drafts.append(
            EntryDraft(
                entry_id=f"demo-{year}-{measure}-{n:02d}-{kind}",
                kind=kind,
                holder_code=measure[:2],
                measure_code=measure,
                year=year,
                fund=fund,
                kekv=kekv,
                amount_kop=kop_from_thousands(amount),
                entry_date=date(year, 3 if kind in ("appropriation", "amendment") else 11, 1 + n % 27),
                document_ref=f"ілюстративні дані № {n}",
                author="demo seed (illustrative)",
                direction=direction,
            )
        )
    return drafts


async def seed_structure(session: AsyncSession) -> None:
    """Through the same checks as the API: the seed's codes are validated too."""
    await queries.add_programme(session, PROGRAMME)
    for holder in HOLDERS:
        await add_holder(session, BudgetHolder(**holder))
    for code, number, holder, name_uk, name_en, kekv, fund in MEASURES:
        await add_measure(session, MeasureSpec(code=code, number=number, holder_code=holder, name_uk=name_uk,
                                               name_en=name_en, tpkvkmb="7520", kfkvk="0460", kekv=kekv, fund=fund,
                                               illustrative=True))


async def seed_demo(session: AsyncSession, outbox: Outbox) -> int:
    """Idempotent: entries already there are 'already recorded'. Returns how many were new."""
    await seed_structure(session)
    created = 0
    for draft in demo_entries():
        created += (await post_entry(session, outbox, draft)).created
    return created
