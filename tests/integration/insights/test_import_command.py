"""The `coalition import receipts` command as a user runs it: its --json
summary on stdout, the progress on stderr, and an exit status a script can test."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from coalition.cli import main
from coalition.partners import lifecycle
from coalition.platform.auth.service import Principal
from coalition.platform.coalitions.service import create_coalition
from coalition.platform.members import service as members
from coalition.platform.runtime.database import create_engine, create_sessionmaker
from coalition.platform.runtime.settings import Settings

HEADER = "receipt,shop,card,occurred_at,sku,category,quantity,amount"


async def _coalition_with_a_shop(url: str) -> tuple[str, str]:
    """A coalition's slug and the card of its one member; its shop's reference is 'deli'."""
    slug = f"imp-{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, pool_size=1)
    try:
        async with create_sessionmaker(engine).begin() as session:
            coalition, _ = await create_coalition(
                session, slug=slug, name="Import", currency="EUR", point_value="0.01", timezone="Europe/Amsterdam"
            )
            operator = Principal.local_operator(coalition.id, via="tests")
            shop, _ = await lifecycle.create_partner(
                session, operator, name="Deli", earn_rate_per_unit=Decimal(1), iban=None, reference="deli"
            )
            member = await members.enrol(
                session, coalition_id=coalition.id, scope_id=shop.id, partner_id=shop.id,
                request=members.Enrolment(uuid.uuid4().hex, None, None, None, None),
            )  # fmt: skip
    finally:
        await engine.dispose()
    return slug, member.card_number


def _invoke(settings: Settings, *args: str) -> tuple[int, str, str]:
    env = {"COALITION_DATABASE_URL": settings.database_url, "COALITION_REDIS_URL": settings.redis_url}
    result = CliRunner().invoke(main, ["import", "receipts", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_json_summary_lists_what_was_imported_and_skipped(settings: Settings, tmp_path: Path) -> None:
    assert settings.database_url is not None
    slug, card = asyncio.run(_coalition_with_a_shop(settings.database_url))
    file = tmp_path / "receipts.csv"
    file.write_text(
        "\n".join([
            HEADER,
            f"r1,DELI,{card},2024-05-01T12:00:00+02:00,ham,meat,1,4.10",
            "r2,deli,UNKNOWN-1,2024-05-01T12:05:00+02:00,ham,meat,1,4.10",
            f"r3,deli,{card},2024-05-01T12:10:00+02:00,ham,meat,1,-4.10",
            f"r4,bakery,{card},2024-05-01T12:15:00+02:00,bun,bread,1,0.80",
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip

    status, out, err = _invoke(settings, str(file), "--coalition", slug, "--json")

    assert status == 0
    summary = json.loads(out)
    assert (summary["importedReceipts"], summary["importedLines"]) == (1, 1)
    assert summary["unknownCards"] == ["UNKNOWN-1"]
    assert summary["unknownShops"] == ["bakery"]
    assert [bad["row"] for bad in summary["badRows"]] == [4]
    assert "importing" in err or "storing receipts" in err


def test_a_file_with_nothing_usable_exits_non_zero_and_says_why(settings: Settings, tmp_path: Path) -> None:
    assert settings.database_url is not None
    slug, _ = asyncio.run(_coalition_with_a_shop(settings.database_url))
    file = tmp_path / "receipts.csv"
    file.write_text(f"{HEADER}\nr1,deli,NOBODY-1,2024-05-01T12:00:00+02:00,ham,meat,1,4.10\n", encoding="utf-8")

    status, out, _ = _invoke(settings, str(file), "--coalition", slug)

    assert status == 1
    assert "unknown card 'NOBODY-1': its receipts were skipped" in out
    assert "receipts imported: 0 (0 lines)" in out
