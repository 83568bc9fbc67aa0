"""A small coalition whose purchase history is brought in through the receipt
import, so insights tests check SQL figures against the pure formulas on the
very same purchases."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from coalition.cli.importing import import_receipts
from coalition.insights.model import Line, Purchase
from coalition.platform.auth.service import issue
from coalition.platform.auth.tokens import CredentialKind
from coalition.platform.runtime.settings import Settings
from tests.support.town import Town

HEADER = ["receipt", "shop", "card", "occurred_at", "sku", "category", "quantity", "amount"]


@dataclass
class History:
    town: Town
    slug: str
    shops: dict[str, uuid.UUID] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    members: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    purchases: list[Purchase] = field(default_factory=list)
    _rows: list[list[str]] = field(default_factory=list)

    @classmethod
    async def create(cls, town: Town, shops: dict[str, tuple[str | None, bool]], members: int) -> History:
        """Shops by reference with (kind, agreed to be named); ``members`` members enrolled at the first shop."""
        async with town.engine.connect() as connection:
            slug = await connection.scalar(
                text("SELECT slug FROM coalitions WHERE id = :id"), {"id": town.coalition_id}
            )
        history = cls(town, slug)
        for reference, (kind, named) in shops.items():
            shop, key = await town.partner(reference.title())
            async with town.sessions.begin() as session:
                await session.execute(
                    text("UPDATE partners SET reference = :r, kind = :k, named_in_insights = :n WHERE id = :id"),
                    {"r": reference, "k": kind, "n": named, "id": shop},
                )
            history.shops[reference], history.keys[reference] = shop, key
        first = next(iter(history.shops.values()))
        history.members = [await town.member(first) for _ in range(members)]
        return history

    def buy(self, who: int, shop: str, at: str, *lines: tuple[str, str, int]) -> None:
        """A receipt of member ``who`` at ``shop`` at ``at`` (ISO 8601 with an offset) with lines
        (sku, category, amount in cents; a negative amount is a return)."""
        receipt = f"r{len(self.purchases) + 1}"
        member_id, card = self.members[who]
        lines = lines or (("item", "", 0),)
        for sku, category, cents in lines:
            self._rows.append([receipt, shop, card, at, sku, category, "1", str(Decimal(cents) / 100)])
        self.purchases.append(
            Purchase(
                member_id,
                self.shops[shop],
                datetime.fromisoformat(at),
                sum(cents for _, _, cents in lines),
                tuple(Line(sku, category, Decimal(1), cents) for sku, category, cents in lines),
            )
        )

    async def bring_in(self, settings: Settings, folder: Path) -> None:
        """Imports the receipts bought since the last call (the import rolls the insights up)."""
        file = folder / f"receipts-{uuid.uuid4().hex[:6]}.csv"
        with file.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER)
            writer.writerows(self._rows)
        self._rows = []
        summary = await import_receipts(settings, file, self.slug, mode="history", enrol_unknown=False)
        assert not summary.bad_rows, summary.bad_rows

    async def member_token(self, who: int) -> str:
        async with self.town.sessions.begin() as session:
            _, token = await issue(
                session, coalition_id=self.town.coalition_id, kind=CredentialKind.MEMBER, member_id=self.members[who][0]
            )
        return token
