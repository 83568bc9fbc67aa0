"""The fault tests' world: servers of their own (restarted and killed at
will), a shop with a till key, and members with points to redeem."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from coalition.platform.runtime.database import create_engine
from tests.support.fault_town import FaultTown, fault_town_on
from tests.support.own_servers import OwnServers, own_servers


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServers]:
    with own_servers(Path(tmp_path_factory.mktemp("faults"))) as servers:
        yield servers


@pytest.fixture
async def fault_town(own: OwnServers) -> AsyncIterator[FaultTown]:
    """A shop of its own per test (the till's shop posts nothing else), with members whose points another shop gave."""
    engine = create_engine(own.database_url, pool_size=4)
    yield await fault_town_on(engine)
    await engine.dispose()
