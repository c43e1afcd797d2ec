"""Kafka event handlers of the budget ledger: parse, call a use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger import service
from budget_ledger.domain import EntryDraft
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.network_registry import NetworkAssetCommissioned
from ecity_common.messaging.consumer import Handler
from ecity_common.messaging.outbox import Outbox


def make_handlers(outbox: Outbox) -> dict[str, Handler]:
    async def on_asset_commissioned(session: AsyncSession, event: CloudEvent, asset: NetworkAssetCommissioned) -> None:
        """An asset commissioned on the МТКМ is an expenditure against the measure that paid for it.

        The entry id comes from the asset, so even a second event for the same asset (not only a
        redelivery of the same event) records the expenditure once."""
        measure = await service.find_measure(session, asset.measure_code)
        await service.post_entry(
            session,
            outbox,
            EntryDraft(
                entry_id=f"network-asset-{asset.asset_id}-commissioned",
                kind="expenditure",
                holder_code=asset.holder_code,
                measure_code=asset.measure_code,
                year=asset.commissioned_on.year,
                fund=measure.fund if measure else "general",
                kekv=measure.kekv if measure else "3110",
                amount_kop=asset.cost_kop,
                entry_date=asset.commissioned_on,
                # Nothing of the event itself (its id) goes in: the same asset must give the same entry.
                document_ref=f"network-registry {asset.asset_kind} {asset.asset_id}: {asset.name}"[:200],
                author="network-registry",
            ),
        )

    return {"ua.sumy.ecity.network-registry.asset.commissioned.v1": on_asset_commissioned}
