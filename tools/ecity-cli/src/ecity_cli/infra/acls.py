"""The local broker's ACLs: the catalogue's table (`ecity_common.messaging.access`) granted through
Kafka's admin API, as Strimzi's User Operator grants each KafkaUser's on Kubernetes.

aiokafka has the protocol's CreateAcls and DescribeAcls messages but no admin method for them; the
requests are built here from those (version 1, the oldest a Kafka 4 broker still accepts).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest_v1, DescribeAclsRequest_v1
from aiokafka.protocol.api import Request

from ecity_common.messaging.access import KafkaAccess, KafkaRights


class Resource(IntEnum):  # Kafka's ResourceType
    TOPIC = 2
    GROUP = 3


class Operation(IntEnum):  # Kafka's AclOperation
    READ = 3
    WRITE = 4
    CREATE = 5


_LITERAL = 3  # PatternType: the name as it is, not a prefix
_ALLOW = 3  # AclPermissionType
_ANY_HOST = "*"


@dataclass(frozen=True)
class Acl:
    """Allow `principal` (a Kafka user) `operation` on one named topic or group, from any host."""

    principal: str
    resource: Resource
    name: str
    operation: Operation

    def creation(self) -> tuple:
        return (self.resource, self.name, _LITERAL, f"User:{self.principal}", _ANY_HOST, self.operation, _ALLOW)


def acls_for(rights: KafkaRights, *, create: bool = True) -> list[Acl]:
    """What the broker needs to hold for these rights. Kafka implies DESCRIBE from READ and WRITE,
    which is all a producer's or consumer's metadata request asks."""
    acls = [Acl(rights.principal, Resource.TOPIC, t, Operation.WRITE) for t in rights.writes]
    if create:  # locally only: on Kubernetes no service creates a topic
        acls += [Acl(rights.principal, Resource.TOPIC, t, Operation.CREATE) for t in rights.creates]
    acls += [Acl(rights.principal, Resource.TOPIC, t, Operation.READ) for t in rights.reads]
    if rights.reads:
        acls.append(Acl(rights.principal, Resource.GROUP, rights.group, Operation.READ))
    return acls


class _CreateAcls(Request[CreateAclsRequest_v1]):
    API_KEY = 30

    def __init__(self, acls: list[Acl]) -> None:
        self._acls = acls

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class([acl.creation() for acl in self._acls])


class _DescribeAcl(Request[DescribeAclsRequest_v1]):
    """A filter that matches exactly one binding."""

    API_KEY = 29

    def __init__(self, acl: Acl) -> None:
        self._acl = acl

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        return request_struct_class(*self._acl.creation())


async def grant(admin: KafkaAccess, acls: Iterable[Acl], timeout_s: float = 30.0) -> None:
    """Create the bindings (those that exist already stay as they are), and return once the broker
    authorizes by them: the controller commits them, and each broker applies them from the
    metadata log a moment later, when a client started right away could still be refused."""
    acls = list(dict.fromkeys(acls))
    if not acls:
        return
    client = AIOKafkaClient(**admin.client_options(), client_id="ecity-acls")
    try:
        await client.bootstrap()
        response = await client.send(client.get_random_node(), _CreateAcls(acls))
        for acl, (code, message) in zip(acls, response.creation_responses, strict=True):
            if code:
                raise for_code(code)(f"cannot grant {acl}: {message}")
        # Each binding is looked for: a broker was seen to authorize by the request's last binding
        # while still refusing by an earlier one (a service started right after provisioning could
        # not create its own dead-letter topic, one start in three).
        deadline = time.monotonic() + timeout_s
        for node, acl in ((node, acl) for node in client.cluster.brokers() for acl in acls):
            while True:
                described = await client.send(node.nodeId, _DescribeAcl(acl))
                if described.error_code:
                    raise for_code(described.error_code)(described.error_message)
                if described.resources:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"broker {node.nodeId} does not show the ACLs granted {timeout_s:.0f} s ago")
                await asyncio.sleep(0.02)
    finally:
        await client.close()
