"""An asset commissioned on the МТКМ (network-registry's event) proposes an expenditure against the
programme measure that paid for it, once per asset. It counts only when finance approves it
(`proposals.py`), or at once when its holder's auto-approval limit covers its cost."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import queries
from budget_ledger.domain.phrases import Phrase
from budget_ledger.domain.proposals import ExpenditureProposal, check_proposal, proposal_id
from budget_ledger.use_cases import proposals as decisions
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.network_registry import NetworkAssetCommissioned
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import Conflict

# When the registry's event does not carry them, the measure's own codes apply.
_DEFAULT_KEKV, _DEFAULT_FUND = "3110", "general"


def proposal_for(event: CloudEvent, asset: NetworkAssetCommissioned, kekv: str, fund: str) -> ExpenditureProposal:
    return ExpenditureProposal(
        proposal_id=proposal_id(asset.asset_id), asset_id=asset.asset_id, asset_kind=asset.asset_kind, name=asset.name,
        holder_code=asset.holder_code, measure_code=asset.measure_code, year=asset.commissioned_on.year, fund=fund,
        kekv=kekv, amount_kop=asset.cost_kop, commissioned_on=asset.commissioned_on,
        # Nothing of the event itself (its id) goes in: the same asset must give the same entry.
        document_ref=f"network-registry {asset.asset_kind} {asset.asset_id}: {asset.name}"[:200],
        source=event.source, event_id=event.id,
    )


async def propose_commissioned(session: AsyncSession, outbox: Outbox,
                               events: list[tuple[CloudEvent, NetworkAssetCommissioned]]) -> None:
    """All the assets of a batch, all or none (the consumer retries or dead-letters): each a
    proposal, the same asset again nothing new, the same asset with another cost a conflict."""
    measures = await queries.all_measures(session)
    proposed: dict[str, ExpenditureProposal] = {}
    for event, asset in events:
        m = measures.get(asset.measure_code)
        p = proposal_for(event, asset, m.kekv if m else _DEFAULT_KEKV, m.fund if m else _DEFAULT_FUND)
        check_proposal(p, m)
        _same_or_conflict(proposed.get(p.proposal_id), p)
        proposed.setdefault(p.proposal_id, p)
    await queries.lock_chain(session)  # decisions, auto-approvals and postings one at a time
    existing = await queries.proposals_by_id(session, set(proposed))
    new = []
    for p in proposed.values():
        if p.proposal_id in existing:
            _same_or_conflict(existing[p.proposal_id][0], p)
        else:
            new.append(p)
    await queries.add_proposals(session, new)

    limits = await queries.current_limits(session)
    closed = await queries.closed(session)
    # A closed year's proposal waits for finance, who may reject it or book it otherwise.
    covered = [p for p in new if p.holder_code in limits and limits[p.holder_code].covers(p) and p.year not in closed]
    if covered:
        await decisions.approve_many(session, outbox, covered, limits=limits)


def _same_or_conflict(earlier: ExpenditureProposal | None, again: ExpenditureProposal) -> None:
    if earlier is not None and not earlier.same_asset_as(again):
        raise Conflict(Phrase("asset-proposed-otherwise", asset_id=again.asset_id), field="asset_id")
