"""The programme's structure — budget holders and measures — as the finance department keeps it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters.tables import budget_holders, measures, programmes
from budget_ledger.domain import codes
from budget_ledger.domain.ledger import EntryRejected
from ecity_common.ua_codes import validate_edrpou


@dataclass(frozen=True)
class BudgetHolder:
    code: str
    name_uk: str
    name_en: str
    is_main: bool
    kpkvkmb: str
    edrpou: str

    def check(self) -> None:
        codes.holder_code(self.code)
        codes.kpkvkmb(self.kpkvkmb, holder_code=self.code)
        try:
            validate_edrpou(self.edrpou)
        except ValueError as exc:
            raise codes.CodeError("edrpou", str(exc)) from None


@dataclass(frozen=True)
class MeasureSpec:
    code: str
    number: str
    name_uk: str
    name_en: str
    holder_code: str
    tpkvkmb: str
    kfkvk: str
    kekv: str
    fund: str
    illustrative: bool = False

    def check(self, holder_kpkvkmb: str | None) -> None:
        codes.tpkvkmb(self.tpkvkmb)
        codes.kfkvk(self.kfkvk)
        codes.kekv(self.kekv)
        if holder_kpkvkmb is None:
            raise codes.CodeError("holder_code", f"no budget holder {self.holder_code!r} in the programme")
        if holder_kpkvkmb[3:] != self.tpkvkmb:
            raise codes.CodeError("tpkvkmb", f"must be the programme code of the holder's КПКВКМБ {holder_kpkvkmb}")


async def _upsert(session: AsyncSession, table, key: str, values: dict) -> bool:
    """Insert, or accept the same thing again; other content under the same code is a conflict."""
    existing = (await session.execute(select(table).where(table.c[key] == values[key]))).mappings().first()
    if existing is None:
        await session.execute(insert(table).values(values))
        return True
    if any(existing[k] != v for k, v in values.items()):
        raise EntryRejected(key, f"{values[key]!r} exists with other content", status=409)
    return False


async def add_holder(session: AsyncSession, holder: BudgetHolder) -> bool:
    holder.check()
    programme = await session.scalar(select(programmes.c.code))
    if programme is None:
        raise EntryRejected("programme", "no programme is loaded")
    return await _upsert(session, budget_holders, "code", {**asdict(holder), "programme_code": programme})


async def add_measure(session: AsyncSession, measure: MeasureSpec) -> bool:
    holder_kpkvkmb = await session.scalar(select(budget_holders.c.kpkvkmb).where(budget_holders.c.code == measure.holder_code))
    measure.check(holder_kpkvkmb)
    return await _upsert(session, measures, "code", asdict(measure))
