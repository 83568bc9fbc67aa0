"""The fault tests' world: servers of their own (restarted and killed at
will), a shop with a till key, and members with points to redeem."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from coalition.partners.earning.till import TillSetups
from coalition.platform.auth.service import issue
from coalition.platform.auth.tokens import CredentialKind, PartnerRole
from coalition.platform.ledger.repository import PostingGateway
from coalition.platform.ledger.service import LedgerService
from coalition.platform.runtime.database import create_engine
from tests.support.fault_town import FaultTown
from tests.support.own_servers import OwnServers, own_servers
from tests.support.town import Town


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServers]:
    with own_servers(Path(tmp_path_factory.mktemp("faults"))) as servers:
        yield servers


@pytest.fixture
async def fault_town(own: OwnServers) -> AsyncIterator[FaultTown]:
    """A shop of its own per test (the till's shop posts nothing else), with members whose points another shop gave."""
    engine = create_engine(own.database_url, pool_size=4)
    town = await Town(engine, LedgerService(PostingGateway(engine)), TillSetups(engine, ttl=0.001)).create()
    giver, _ = await town.partner("Giver")
    shop, _ = await town.partner("Till shop")
    cards = []
    for _ in range(12):
        _, card = await town.member(giver)
        await town.earn(giver, card, "500")
        cards.append(card)
    async with town.sessions.begin() as session:
        _, till_key = await issue(
            session, coalition_id=town.coalition_id, kind=CredentialKind.PARTNER, partner_id=shop, role=PartnerRole.POS
        )
    yield FaultTown(town, shop, till_key, cards)
    await engine.dispose()
