"""``coalition import receipts``: a shop's or the coalition's receipt history
brought in, for insights (history) or earned through the programme (award)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from coalition.cli.running import emit, run

if TYPE_CHECKING:
    from coalition.insights.importing import AwardableReceipt, ImportSummary
    from coalition.partners.earning.till import BasketLine
    from coalition.platform.runtime.settings import Settings


@click.group("import")
def import_group() -> None:
    """Bring data in from files."""


@import_group.command("receipts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coalition", "slug", required=True)
@click.option(
    "--mode",
    type=click.Choice(["history", "award"]),
    default="history",
    show_default=True,
    help="history: purchases for insights, no points; award: each receipt earned at its shop's till.",
)
@click.option("--enrol-unknown", is_flag=True, help="Enrol the cards no member has (else they are listed and skipped).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def receipts(file: Path, slug: str, mode: str, enrol_unknown: bool, as_json: bool) -> None:  # fmt: skip
    """Import receipt lines (CSV or Parquet, one row per line; see the insights contract).

    Importing the same file again adds nothing. Bad rows are listed with their
    row number and their receipts skipped whole; receipts of unknown shops
    (partner reference) and unknown cards are listed and skipped."""

    async def work(settings: Settings) -> ImportSummary:
        return await import_receipts(settings, file, slug, mode=mode, enrol_unknown=enrol_unknown)

    summary = run(work)
    if as_json:
        emit(summary.as_dict(), as_json=True)
    else:
        _report(summary, mode)
    # Nothing refused, but nothing usable either: a script should notice.
    if summary.matched_receipts == 0 and (summary.bad_rows or summary.unknown_shops or summary.unknown_cards):
        sys.exit(1)


async def import_receipts(
    settings: Settings, file: Path, slug: str, *, mode: str, enrol_unknown: bool
) -> ImportSummary:
    """The whole import in one transaction (history), or staged in one and
    then earned receipt by receipt through the till (award)."""
    from datetime import UTC, datetime

    from coalition.cli.running import coalition_id
    from coalition.insights import importing
    from coalition.insights.receipts_file import read_receipts_file
    from coalition.insights.rollup import roll_up
    from coalition.platform.coalitions.repository import coalition_by_slug
    from coalition.platform.runtime.database import create_engine, create_sessionmaker
    from coalition.platform.runtime.unit_of_work import unit_of_work

    assert settings.database_url is not None
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions.begin() as session:
            coalition = await coalition_by_slug(session, slug)
            if coalition is None:
                await coalition_id(session, slug)  # says which option is wrong
            assert coalition is not None
        # Steps, not rows: each is one pass over the whole file or one statement.
        with click.progressbar(length=4, label="importing", file=sys.stderr, show_eta=False) as bar:
            bar.label = "reading and checking"
            checked = read_receipts_file(file, coalition.currency, not_after=datetime.now(UTC))
            summary = importing.summary_of(checked)
            bar.update(1)
            async with unit_of_work(sessions) as session:
                bar.label = "finding shops and cards"
                resolved = await importing.resolve(session, checked, summary, coalition.id)
                if enrol_unknown and summary.unknown_cards:
                    bar.label = "enrolling unknown cards"
                    await importing.enrol_unknown(session, summary, resolved, coalition.id)
                bar.update(1)
                bar.label = "staging"
                await importing.stage(session, checked, resolved)
                bar.update(1)
                bar.label = "storing receipts"
                if mode == "history":
                    await importing.import_history(session, summary, coalition.id, coalition.timezone)
                else:
                    awardable = await importing.awardable(session, summary, coalition.id)
                bar.update(1)
        if mode == "award":
            await _award(engine, awardable, summary, coalition.currency)
        # When the command returns, every insight includes what it brought in.
        await roll_up(engine, coalition.id)
        return summary
    finally:
        await engine.dispose()


async def _award(engine: Any, awardable: list[AwardableReceipt], summary: ImportSummary, currency: str) -> None:
    """Each receipt through the till's earn, one at a time (as fast as a till
    at most), under a key derived from (shop, receipt): posted once, however
    often the file is imported."""
    from coalition.partners.earning.till import TillSetups, earn_points
    from coalition.platform.errors import DomainError
    from coalition.platform.ledger.repository import PostingGateway
    from coalition.platform.ledger.service import LedgerService
    from coalition.platform.money import exponent

    gateway = PostingGateway(engine)
    ledger, setups = LedgerService(gateway), TillSetups(engine)
    unit = Decimal(1).scaleb(-exponent(currency))
    with click.progressbar(awardable, label="awarding", file=sys.stderr, show_pos=True) as bar:
        for receipt in bar:
            try:
                posting = await earn_points(
                    ledger,
                    setups,
                    receipt.partner_id,
                    idempotency_key=receipt.idempotency_key,
                    card_number=receipt.card,
                    amount=receipt.total_minor * unit,
                    receipt_ref=receipt.receipt,
                    lines=_basket(receipt, unit),
                    occurred_at=receipt.occurred_at,
                )
            except DomainError as refused:
                summary.award_refusals.append({"receipt": receipt.receipt, "code": str(refused.code),
                                               "reason": refused.message})  # fmt: skip
                continue
            if posting.outcome == "REPLAYED":
                summary.already_awarded += 1
            else:
                summary.awarded += 1
    await gateway.aclose()


def _basket(receipt: AwardableReceipt, unit: Decimal) -> list[BasketLine] | None:
    """The receipt's lines as a till's basket, when a till could have sent
    them (whole quantities of 1-10000, a price per unit in the currency's
    units, no returns); otherwise none, and the receipt earns on its total."""
    from coalition.partners.earning.till import BasketLine

    basket = []
    for sku, category, quantity, amount_minor in receipt.lines:
        count = int(quantity)
        if count != quantity or not 1 <= count <= 10_000 or amount_minor < 0 or amount_minor % count:
            return None
        basket.append(BasketLine(sku, category, count, amount_minor // count * unit))
    return basket or None


def _report(summary: ImportSummary, mode: str) -> None:
    for bad in summary.bad_rows:
        click.echo(f"row {bad.row}: {bad.reason}")
    for shop in summary.unknown_shops:
        click.echo(f"unknown shop {shop!r}: its receipts were skipped")
    for card in summary.unknown_cards:
        click.echo(f"unknown card {card!r}: its receipts were skipped")
    for card in summary.enrolled_cards:
        click.echo(f"enrolled card {card!r}")
    for refusal in summary.award_refusals:
        click.echo(f"receipt {refusal['receipt']!r} not awarded: {refusal['code']} {refusal['reason']}")
    click.echo(f"receipts skipped for bad rows: {summary.skipped_bad_receipts}")
    if mode == "history":
        click.echo(f"receipts imported: {summary.imported_receipts} ({summary.imported_lines} lines)")
        click.echo(f"receipts already imported: {summary.already_imported}")
    else:
        click.echo(f"receipts awarded: {summary.awarded}")
        click.echo(f"receipts already awarded: {summary.already_awarded}")
