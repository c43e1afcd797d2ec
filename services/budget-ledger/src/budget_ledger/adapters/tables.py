"""budget-ledger's own tables. `ledger_entries` is append-only in the database itself (see the
migration's triggers); `balances` is the running projection the reports read."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from ecity_common.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

programmes = Table(
    "programmes",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name_uk", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("start_year", Integer, nullable=False),
    Column("end_year", Integer, nullable=False),
)

budget_holders = Table(
    "budget_holders",
    metadata,
    Column("code", Text, primary_key=True),  # 2-digit code of the holder
    Column("name_uk", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("is_main", Boolean, nullable=False),
    Column("kpkvkmb", Text, nullable=False),
    Column("edrpou", Text, nullable=False),
    Column("programme_code", Text, ForeignKey("programmes.code"), nullable=False),
)

measures = Table(
    "measures",
    metadata,
    Column("code", Text, primary_key=True),
    Column("number", Text, nullable=False),
    Column("name_uk", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("holder_code", Text, ForeignKey("budget_holders.code"), nullable=False),
    Column("tpkvkmb", Text, nullable=False),
    Column("kfkvk", Text, nullable=False),
    Column("kekv", Text, nullable=False),
    Column("fund", Text, nullable=False),
    # True for the demo split of the real totals across measures (see seed.py).
    Column("illustrative", Boolean, nullable=False, server_default="false"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True),  # the chain's order, no gaps
    Column("entry_id", Text, nullable=False, unique=True),  # the client's idempotency key
    Column("kind", Text, nullable=False),
    Column("holder_code", Text, nullable=False),
    Column("measure_code", Text, ForeignKey("measures.code"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("fund", Text, nullable=False),
    Column("kekv", Text, nullable=False),
    Column("amount_kop", BigInteger, nullable=False),
    Column("direction", Text),
    Column("entry_date", Date, nullable=False),
    Column("document_ref", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("reverses", Text, ForeignKey("ledger_entries.entry_id"), unique=True),  # at most once
    Column("override_reason", Text),
    Column("plan_delta_kop", BigInteger, nullable=False),
    Column("financed_delta_kop", BigInteger, nullable=False),
    Column("spent_delta_kop", BigInteger, nullable=False),
    Column("content", JSONB, nullable=False),  # exactly what the hash covers
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount_kop > 0", name="ledger_entries_amount_positive"),
    Index("ledger_entries_measure_year", "measure_code", "year"),  # reports per measure and year
)

balances = Table(
    "balances",
    metadata,
    Column("measure_code", Text, ForeignKey("measures.code"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("planned_kop", BigInteger, nullable=False, server_default="0"),
    Column("financed_kop", BigInteger, nullable=False, server_default="0"),
    Column("spent_kop", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("measure_code", "year"),
)

closed_years = Table(
    "closed_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("closed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("closed_by", Text, nullable=False),
)
