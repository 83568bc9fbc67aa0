"""Every insights report downloads as CSV from the portal: a shop's owner its
own shop's figures whatever it asks, the operator's staff any shop's or the
coalition's; a cashier and a member are refused."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
from redis.asyncio import Redis

from coalition.platform.runtime.settings import Settings
from coalition.platform.staff.rules import StaffRole
from coalition.web.shop.dashboard.csv_reports import REPORTS
from tests.support.insight_history import History
from tests.support.town import Town
from tests.support.web_sessions import add_staff_person, sign_in_member, sign_in_staff

EXPORT = "/portal/shop/dashboard/export/"
MARCH = "from=2024-03-01&to=2024-03-31&asOf=2024-03-31&fromMonth=2024-01-01&toMonth=2024-03-01"


def _table(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


async def test_each_report_downloads_for_the_shop_and_the_operator(
    town: Town, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    history = await History.create(town, {"bakery": ("bakery", True), "butcher": ("butcher", False)}, members=3)
    for who in range(3):
        history.buy(who, "bakery", "2024-03-05T10:00:00+01:00", ("b", "bread", 250), ("u", "butter", 120))
        history.buy(who, "butcher", "2024-03-06T10:00:00+01:00", ("s", "meat", 990))
    await history.bring_in(settings, tmp_path)
    bakery, butcher = history.shops["bakery"], history.shops["butcher"]
    redis = Redis.from_url(str(settings.redis_url))
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as browser:
        owner = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.OWNER,
                                       partner_id=bakery)  # fmt: skip
        await sign_in_staff(browser, redis, person_id=owner, coalition_id=town.coalition_id, role=StaffRole.OWNER,
                            partner_id=bakery)  # fmt: skip
        for report in REPORTS:
            answer = await browser.get(f"{EXPORT}{report}.csv?{MARCH}")
            assert answer.status_code == 200, (report, answer.text)
            assert answer.headers["content-type"].startswith("text/csv")
            assert "attachment" in answer.headers["content-disposition"]
        kpis = _table(await browser.get(f"{EXPORT}kpis.csv?{MARCH}&partnerId={butcher}"))
        # Asking for the butcher's figures still gives the bakery's own: 3 purchases of 3.70.
        assert kpis[0] == ["figure", "period", "previous"]
        assert ["purchases", "3", "0"] in kpis
        assert ["revenue", "11.10", "0.00"] in kpis
        rules = _table(await browser.get(f"{EXPORT}basket-rules.csv?{MARCH}"))
        assert rules[0] == ["antecedent", "consequent", "receipts", "support", "confidence", "lift"]
        assert rules[1][:3] == ["bread", "butter", "3"]
        assert (await browser.get(f"{EXPORT}kpis.csv?from=2024-03-31&to=2024-03-01")).status_code == 400
        assert (await browser.get(f"{EXPORT}kpis.csv?from=yesterday")).status_code == 400
        assert (await browser.get(f"{EXPORT}nothing.csv")).status_code == 404

        browser.cookies.clear()
        admin = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.OPERATOR_ADMIN)
        await sign_in_staff(browser, redis, person_id=admin, coalition_id=town.coalition_id,
                            role=StaffRole.OPERATOR_ADMIN)  # fmt: skip
        coalition_kpis = _table(await browser.get(f"{EXPORT}kpis.csv?{MARCH}"))
        assert ["purchases", "6", "0"] in coalition_kpis
        butcher_kpis = _table(await browser.get(f"{EXPORT}kpis.csv?{MARCH}&partnerId={butcher}"))
        assert ["revenue", "29.70", "0.00"] in butcher_kpis
        assert (await browser.get(f"{EXPORT}cross-shop.csv?{MARCH}")).status_code == 400

        browser.cookies.clear()
        cashier = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.CASHIER,
                                         partner_id=bakery)  # fmt: skip
        await sign_in_staff(browser, redis, person_id=cashier, coalition_id=town.coalition_id,
                            role=StaffRole.CASHIER, partner_id=bakery)  # fmt: skip
        assert (await browser.get(f"{EXPORT}kpis.csv?{MARCH}")).status_code == 403

        browser.cookies.clear()
        await sign_in_member(browser, redis, member_id=history.members[0][0], coalition_id=town.coalition_id)
        refused = await browser.get(f"{EXPORT}kpis.csv?{MARCH}")
        assert refused.status_code in (302, 303, 403)
        assert "text/csv" not in refused.headers.get("content-type", "")
    await redis.aclose()


async def test_the_dashboard_shows_the_shops_figures_in_every_language(
    town: Town, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    from coalition.web.i18n import LANGUAGE_COOKIE

    history = await History.create(town, {"bakery": ("bakery", True)}, members=2)
    for who in range(2):
        history.buy(who, "bakery", "2024-03-05T10:00:00+01:00", ("b", "bread", 250), ("u", "butter", 120))
    await history.bring_in(settings, tmp_path)
    redis = Redis.from_url(str(settings.redis_url))
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as browser:
        manager = await add_staff_person(town.engine, coalition_id=town.coalition_id, role=StaffRole.MANAGER,
                                         partner_id=history.shops["bakery"])  # fmt: skip
        await sign_in_staff(browser, redis, person_id=manager, coalition_id=town.coalition_id,
                            role=StaffRole.MANAGER, partner_id=history.shops["bakery"])  # fmt: skip
        page = await browser.get("/portal/shop/dashboard?from=2024-03-01&to=2024-03-31")
        assert page.status_code == 200
        assert "100% of receipts with bread also have butter: 1.0x usual" in page.text
        assert "<polyline" in page.text
        assert "/portal/shop/dashboard/export/kpis.csv?from=2024-03-01&amp;to=2024-03-31" in page.text
        for language, heading in (("nl", "Kerncijfers"), ("fr", "Chiffres clés"), ("pl", "Kluczowe liczby"),
                                  ("nb", "Nøkkeltall")):  # fmt: skip
            browser.cookies.set(LANGUAGE_COOKIE, language)
            translated = await browser.get("/portal/shop/dashboard?from=2024-03-01&to=2024-03-31")
            assert heading in translated.text, language
    await redis.aclose()
