import uuid

import pytest

from ecity_cli.testing import ServiceFactory


@pytest.fixture(scope="module")
def module_services(infra, tmp_path_factory) -> ServiceFactory:
    """Like `services`, for a whole module: its service runs once, and the matrix and the
    object-level checks of the module call the same app (a few seconds, not one start per cell)."""
    return ServiceFactory(infra=infra, topic_prefix=f"t{uuid.uuid4().hex[:8]}.", trace_dir=tmp_path_factory.mktemp("security"))
