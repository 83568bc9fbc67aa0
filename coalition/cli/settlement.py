"""``coalition settle``, ``statement`` and ``payouts``: settling business days
and the files finance takes away."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from coalition.cli.running import coalition_id, parse_date, parse_id, run, use_case

if TYPE_CHECKING:
    from coalition.platform.runtime.database import AsyncSession
    from coalition.platform.runtime.settings import Settings


class OutputFile(click.ParamType[Path, Any]):
    """A file to write, refused before any work if it cannot be written."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        import os

        path = Path(value)
        if path.is_dir():
            self.fail(f"{value} is a folder, not a file", param, ctx)
        folder = path.parent
        if not folder.is_dir():
            self.fail(f"the folder {folder} does not exist", param, ctx)
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            self.fail(f"{value} cannot be written here", param, ctx)
        return path


def write_output(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as error:
        raise click.BadParameter(f"cannot write {path}: {error.strerror}", param_hint=["--out"]) from None
    click.echo(f"written {path}")


@click.command()
@click.option("--coalition", "slug", required=True)
@click.option("--date", "first", required=True, help="Business date (YYYY-MM-DD).")
@click.option("--through", "last", default=None, help="Settle every day from --date through this one, in order.")
def settle(slug: str, first: str, last: str | None) -> None:
    """Settle business days: one run per day, safe to repeat; an open day is provisional."""
    from coalition.platform.runtime.database import create_engine, create_sessionmaker
    from coalition.platform.runtime.unit_of_work import unit_of_work
    from coalition.settlement.service import run_day

    start = parse_date(first, "--date")
    end = parse_date(last, "--through") if last else start
    if end < start:
        raise click.BadParameter("must not be before --date", param_hint=["--through"])
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]

    async def work(settings: Settings) -> list[str]:
        assert settings.database_url is not None
        engine = create_engine(settings.database_url, pool_size=2)
        done = []
        try:
            sessions = create_sessionmaker(engine)
            async with sessions.begin() as session:
                coalition = await coalition_id(session, slug)  # a wrong slug is told before any settling
            with click.progressbar(days, label="settling", file=sys.stderr, show_pos=True) as bar:
                for day in bar:  # in date order: each day is its own use case, committed on its own
                    async with unit_of_work(sessions) as session:
                        settled = await run_day(session, coalition, day)
                    done.append(f"{day.isoformat()} {settled.status}")
        finally:
            await engine.dispose()
        return done

    for outcome in run(work):
        click.echo(outcome)


@click.command()
@click.option("--coalition", "slug", required=True)
@click.option("--date", "day", required=True, help="Business date (YYYY-MM-DD).")
@click.option("--partner", "partner", required=True, help="The partner's id.")
@click.option("--format", "kind", type=click.Choice(["csv", "pdf"]), default="pdf", show_default=True)
@click.option("--out", type=OutputFile(), required=True)
def statement(slug: str, day: str, partner: str, kind: str, out: Path) -> None:
    """Write a partner's settlement statement for one day."""
    from coalition.settlement.documents import statement_document

    on = parse_date(day, "--date")
    partner_id = parse_id(partner, "--partner")

    async def use(session: AsyncSession) -> Any:
        return await statement_document(session, await coalition_id(session, slug), on, partner_id, kind.upper())

    document = use_case(use, {"partnerId": "--partner", "businessDate": "--date", "date": "--date"})
    write_output(out, document.content)


@click.group()
def payouts() -> None:
    """Payout periods (approved days summed per partner) and the accounts they are paid from and to."""


def _period(text: str) -> tuple[date, date]:
    try:
        start_text, end_text = text.split("..")
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError as exc:
        raise click.BadParameter("expected START..END dates (YYYY-MM-DD..YYYY-MM-DD)", param_hint=["--period"]) from exc
    if end < start:
        raise click.BadParameter("its end is before its start", param_hint=["--period"])
    return start, end


@payouts.command("export")
@click.option("--coalition", "slug", required=True)
@click.option("--period", required=True, help="START..END, e.g. 2026-11-01..2026-11-30 (approved days only).")
@click.option("--execution-date", "execution", default=None, help="When the bank should pay (default: today).")
@click.option("--out", type=OutputFile(), required=True, help="The pain.001 file.")
def payouts_export(slug: str, period: str, execution: str | None, out: Path) -> None:
    """Write the SEPA credit transfers (pain.001.001.03) for the partners owed money."""
    from coalition.platform.coalitions.repository import coalition_by_id
    from coalition.platform.money import to_major
    from coalition.settlement.documents import sepa_document

    start, end = _period(period)
    when = parse_date(execution, "--execution-date") if execution else date.today()

    async def use(session: AsyncSession) -> Any:
        coalition = await coalition_by_id(session, await coalition_id(session, slug))
        assert coalition is not None
        return coalition.currency, *await sepa_document(session, coalition.id, start, end, when)

    currency, document, summary = use_case(use, {"executionDate": "--execution-date", "period": "--period"})

    def money(minor: int) -> str:
        return f"{to_major(minor, currency)} {currency}"

    write_output(out, document.content)
    for line in summary.payable:
        click.echo(f"pay {line.name}: {money(line.net_minor)} to {line.iban}")
    for line in summary.lines:
        if line.problem:
            click.echo(f"NOT PAID {line.name}: {money(line.net_minor)} ({line.problem})")
        elif line.net_minor < 0:
            click.echo(f"owes the coalition {line.name}: {money(-line.net_minor)}")
    if summary.unapproved_days:
        click.echo(f"not approved, left out: {', '.join(d.isoformat() for d in summary.unapproved_days)}")


@payouts.command("paying-account")
@click.option("--coalition", "slug", required=True)
@click.option("--name", required=True, help="The account holder, as the bank knows it.")
@click.option("--iban", required=True)
@click.option("--bic", default=None, help="Only if the bank asks for it.")
def paying_account(slug: str, name: str, iban: str, bic: str | None) -> None:
    """Set the account payouts are made from (the settlement policy's payer)."""
    from coalition.platform.auth.service import Principal
    from coalition.settlement.service import set_paying_account

    async def use(session: AsyncSession) -> str:
        cli = Principal.local_operator(await coalition_id(session, slug), via="coalition payouts paying-account")
        return (await set_paying_account(session, cli, name, iban, bic)).iban

    saved = use_case(use, {"payerName": "--name", "payerIban": "--iban", "payerBic": "--bic"})
    click.echo(f"payouts are paid from {saved}")


@payouts.command("partner-account")
@click.option("--coalition", "slug", required=True)
@click.option("--partner", "partner", required=True, help="The partner's id.")
@click.option("--iban", default=None, help="Leave out to remove it (then the partner is not paid by transfer).")
def partner_account(slug: str, partner: str, iban: str | None) -> None:
    """Set the account a partner's payouts are paid into."""
    from coalition.partners import lifecycle as partners
    from coalition.platform.auth.service import Principal

    partner_id = parse_id(partner, "--partner")

    async def use(session: AsyncSession) -> str | None:
        cli = Principal.local_operator(await coalition_id(session, slug), via="coalition payouts partner-account")
        return await partners.set_payout_account(session, cli, partner_id, iban)

    saved = use_case(use, {"partnerId": "--partner", "id": "--partner", "iban": "--iban"})
    click.echo(f"the partner is paid into {saved}" if saved else "the partner has no payout account")
