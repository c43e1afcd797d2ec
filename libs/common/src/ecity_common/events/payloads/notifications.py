"""Events that notifications publishes on `ecity.notifications.v1`, keyed by delivery id: what was
told to whom on which channel, for the audit and the metrics. No address and no text: the
delivery id leads to them in notifications' own database, where a citizen can read and erase them."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from ecity_common.events.catalogue import event_type


class DeliveryFacts(BaseModel):
    delivery_id: str
    cause_event_id: str = Field(description="the CloudEvents source#id that made this message owed")
    kind: str = Field(description="request_news, outage_news, local_alert, alert_digest, contact_confirmation…")
    channel: str = Field(description="email, push")
    attempts: int = Field(ge=1)
    owed_at: AwareDatetime = Field(description="when the delivery was written")


@event_type(
    "ua.sumy.ecity.notifications.notification.sent.v1",
    producer="notifications",
    aggregate="delivery",
    summary="A message was accepted by the SMTP server or the push service.",
)
class NotificationSent(DeliveryFacts):
    sent_at: AwareDatetime


@event_type(
    "ua.sumy.ecity.notifications.notification.failed.v1",
    producer="notifications",
    aggregate="delivery",
    summary="A message was given up: refused for good (SMTP 5xx, push 404/410) or too many temporary failures.",
)
class NotificationFailed(DeliveryFacts):
    failed_at: AwareDatetime
    permanent: bool = Field(description="refused for good, not given up after retries")
    reason: str = Field(max_length=500)
