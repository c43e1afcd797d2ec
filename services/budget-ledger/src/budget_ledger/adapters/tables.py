"""budget-ledger's own tables. `ledger_entries` is append-only in the database itself (see the
migrations' triggers) and the service's own role may only add to it (migration 0003's grants);
`balances` is the running projection the reports read; `chain_heads` are the signed statements of
the chain; expenditures proposed by events wait in `expenditure_proposals` for finance's decision."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
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
    Column("content", JSONB, nullable=False),  # the entry as posted (what the idempotency key compares)
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),  # domain/chain.py: version 1 over `content`, 2 over every column
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("chain_version", SmallInteger, nullable=False, server_default="1"),
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


# Signed statements of the chain's head (domain/anchor.py): how many entries, the last hash, the
# totals, signed with a key the database never holds. Published with the open data.
chain_heads = Table(
    "chain_heads",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("entries", BigInteger, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("key_id", Text, nullable=False),
    Column("statement", JSONB, nullable=False),  # exactly what the signature covers (canonical JSON)
    Column("signature", Text, nullable=False),  # Ed25519, base64
)

# An asset commissioned on the network proposes an expenditure; it counts only once finance
# approves it (or an auto-approval limit of its holder does, see below).
expenditure_proposals = Table(
    "expenditure_proposals",
    metadata,
    Column("proposal_id", Text, primary_key=True),  # also the id of the entry an approval posts
    Column("asset_id", Text, nullable=False, unique=True),
    Column("asset_kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("holder_code", Text, nullable=False),
    Column("measure_code", Text, ForeignKey("measures.code"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("fund", Text, nullable=False),
    Column("kekv", Text, nullable=False),
    Column("amount_kop", BigInteger, nullable=False),
    Column("commissioned_on", Date, nullable=False),
    Column("document_ref", Text, nullable=False),
    Column("source", Text, nullable=False),  # the CloudEvent that proposed it: source and id
    Column("event_id", Text, nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount_kop > 0", name="expenditure_proposals_amount_positive"),
)

# Each proposal is decided once; a decision is never changed (the app role may only insert).
proposal_decisions = Table(
    "proposal_decisions",
    metadata,
    Column("proposal_id", Text, ForeignKey("expenditure_proposals.proposal_id"), primary_key=True),
    Column("outcome", Text, nullable=False),  # approved | rejected
    Column("decided_by", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reason", Text),  # why it was rejected
    Column("entry_id", Text, ForeignKey("ledger_entries.entry_id")),  # what an approval posted
    Column("auto_approval_limit_id", BigInteger, ForeignKey("auto_approval_limits.id")),
    CheckConstraint("outcome IN ('approved', 'rejected')", name="proposal_decisions_outcome"),
    CheckConstraint("outcome = 'approved' OR reason IS NOT NULL", name="proposal_decisions_rejection_says_why"),
)

# A holder's auto-approval limit, as finance set it: every change is a new row (who, when, why);
# the newest row of a holder is its limit. No row: every proposal of the holder waits for finance.
auto_approval_limits = Table(
    "auto_approval_limits",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("holder_code", Text, ForeignKey("budget_holders.code"), nullable=False),
    Column("limit_kop", BigInteger, nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reason", Text, nullable=False),
    CheckConstraint("limit_kop >= 0", name="auto_approval_limits_not_negative"),
    Index("auto_approval_limits_by_holder", "holder_code", "id"),
)
