"""An asset commissioned on the МТКМ (network-registry's event) is an expenditure against the
programme measure that paid for it, recorded once per asset."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.domain.ledger import EntryDraft
from budget_ledger.use_cases import posting
from ecity_common.events.payloads.network_registry import NetworkAssetCommissioned
from ecity_common.messaging.outbox import Outbox

# When the registry's event does not carry them, the measure's own codes apply.
_DEFAULT_KEKV, _DEFAULT_FUND = "3110", "general"


def expenditure_for(asset: NetworkAssetCommissioned, kekv: str, fund: str) -> EntryDraft:
    """The entry id comes from the asset, so a second event for the same asset (not only a
    redelivery of the same event) records the expenditure once."""
    return EntryDraft(
        entry_id=f"network-asset-{asset.asset_id}-commissioned",
        kind="expenditure",
        holder_code=asset.holder_code,
        measure_code=asset.measure_code,
        year=asset.commissioned_on.year,
        fund=fund,
        kekv=kekv,
        amount_kop=asset.cost_kop,
        entry_date=asset.commissioned_on,
        # Nothing of the event itself (its id) goes in: the same asset must give the same entry.
        document_ref=f"network-registry {asset.asset_kind} {asset.asset_id}: {asset.name}"[:200],
        author="network-registry",
    )


async def record_commissioned(session: AsyncSession, outbox: Outbox, assets: list[NetworkAssetCommissioned]) -> None:
    """All the assets of a batch, in one posting (all or none: the consumer retries or dead-letters)."""
    measures = {code: await posting.find_measure(session, code) for code in {a.measure_code for a in assets}}
    drafts = []
    for asset in assets:
        m = measures[asset.measure_code]
        drafts.append(expenditure_for(asset, m.kekv if m else _DEFAULT_KEKV, m.fund if m else _DEFAULT_FUND))
    await posting.post_entries(session, outbox, drafts)
