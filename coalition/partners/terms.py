"""The programme terms, written from the live configuration, so the terms a
member reads are always the rules the tills apply. English is the source
language; other languages come from Babel catalogues (locales/<lang>)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from coalition.partners.repositories import programme as repository
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import CoalitionRecord
from coalition.platform.programme.repository import load_rules
from coalition.platform.programme.rules import LANGUAGES, CoalitionRules
from coalition.platform.runtime.database import Executor

_HERE = Path(__file__).parent


@functools.cache
def _catalogue(language: str) -> dict[str, str]:
    path = _HERE / "locales" / language / "LC_MESSAGES" / "terms.po"
    if not path.exists():
        return {}
    with path.open("rb") as source:
        catalogue = read_po(source, locale=language)
    return {str(m.id): str(m.string) for m in catalogue if m.id and m.string}


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Terms:
    language: str
    title: str
    sections: tuple[Section, ...]


class _Writer:
    def __init__(self, language: str, currency: str) -> None:
        self.language = language
        self.currency = currency
        self._messages = _catalogue(language)

    def __call__(self, message: str, **values: object) -> str:
        return self._messages.get(message, message).format(**values)

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.language)

    def number(self, value: Decimal | int) -> str:
        return format_decimal(value, locale=self.language)

    def date(self, moment: datetime) -> str:
        return format_date(moment.date(), format="long", locale=self.language)


def _points_section(t: _Writer, coalition: CoalitionRecord) -> Section:
    lines = [
        t("One {points} is worth {value} at every partner shop.", points=coalition.points_name,
          value=t.money(coalition.point_value)),
        t("Points can be spent as soon as they are earned.")
        if coalition.pending_days == 0
        else t("Points can be spent {days} days after the purchase (the return window).", days=coalition.pending_days),
        t("Points do not expire.")
        if coalition.expiry_months is None
        else t("Points expire {months} months after they are earned.", months=coalition.expiry_months),
        t("When you spend points, the ones that expire soonest are used first."),
    ]  # fmt: skip
    return Section(t("Your points"), tuple(lines))


_ORDER = (
    "base points: a category's own rate for its lines, the shop's base rate for the rest",
    "the highest spend threshold reached",
    "the shop's campaigns",
    "your tier's multiplier on the base points",
    "the shop's cap per purchase",
    "the coalition's campaigns",
    "cross-shop challenges",
    "the birthday bonus",
    "the referral bonus",
    "the daily limit per member",
)


async def write(connection: Executor, coalition: CoalitionRecord, rules: CoalitionRules, language: str) -> Terms:
    language = language if language in LANGUAGES else rules.language
    t = _Writer(language, coalition.currency)
    now = datetime.now(UTC)
    sections = [_points_section(t, coalition)]

    earn_rules = await repository.coalition_earn_rules(connection, coalition.id)
    shops = [p for p in await coalitions.partners_by_ids(connection, list(earn_rules)) if p.status == "ACTIVE"]
    lines = []
    for shop in sorted(shops, key=lambda p: p.name):
        shop_rules = earn_rules[shop.id]
        line = t("{shop}: {rate} points per {unit} spent", shop=shop.name, rate=t.number(shop_rules.base_rate),
                 unit=t.money(Decimal(1)))  # fmt: skip
        extras = [
            t("{category}: {rate} per {unit}", category=c.category, rate=t.number(c.rate), unit=t.money(Decimal(1)))
            for c in shop_rules.category_rates
        ] + [
            t("from {amount}: +{points}", amount=t.money(th.min_spend), points=t.number(th.points))
            for th in sorted(shop_rules.thresholds, key=lambda th: th.min_spend)
        ]
        if shop_rules.max_points_per_transaction:
            extras.append(
                t("at most {points} points per purchase", points=t.number(shop_rules.max_points_per_transaction))
            )
        lines.append(line + ("; " + "; ".join(extras) if extras else ""))
    sections.append(Section(t("Earning at our shops"), tuple(lines) or (t("No shops have joined yet."),)))

    limits = rules.limits
    limit_lines = [
        t("Every shop gives between {low} and {high} points per {unit} spent.", low=t.number(limits.min_earn_rate),
          high=t.number(limits.max_earn_rate), unit=t.money(Decimal(1))),
    ]  # fmt: skip
    if limits.max_points_per_transaction:
        limit_lines.append(
            t("At most {points} points per purchase.", points=t.number(limits.max_points_per_transaction))
        )
    if limits.max_points_per_member_per_day:
        limit_lines.append(
            t("At most {points} points per member per day.", points=t.number(limits.max_points_per_member_per_day))
        )
    limit_lines.append(t("Rules apply in this order: {order}.", order="; ".join(t(step) for step in _ORDER)))
    limit_lines.append(t("Points are always rounded down."))
    sections.append(Section(t("Limits"), tuple(limit_lines)))

    names = {p.id: p.name for p in shops}
    promo_lines = []
    for campaign in await repository.campaign_list(connection, coalition.id, partner_id=None, ending_after=now):
        who = names.get(campaign.partner_id, "") if campaign.partner_id else t("all shops")
        if campaign.kind == "MULTIPLIER" and campaign.multiplier:
            what = t("{multiplier} times the points", multiplier=t.number(campaign.multiplier))
        elif campaign.kind == "FIXED_BONUS":
            what = t("+{points} points", points=t.number(campaign.bonus_points or 0))
        else:
            what = t("a coupon")
        promo_lines.append(
            t("{name} ({who}): {what}, from {start} until {end}.", name=campaign.name, who=who, what=what,
              start=t.date(campaign.starts_at), end=t.date(campaign.ends_at))
        )  # fmt: skip
    for challenge in await repository.challenge_list(connection, coalition.id, now):
        period = t("week") if challenge.period == "WEEK" else t("month")
        promo_lines.append(
            t("{name}: shop at {count} different partners in one {period} and get {points} points (until {end}).",
              name=challenge.name, count=challenge.distinct_partners, period=period,
              points=t.number(challenge.bonus_points), end=t.date(challenge.ends_at))
        )  # fmt: skip
    if promo_lines:
        sections.append(Section(t("Campaigns and challenges"), tuple(promo_lines)))

    policy = rules.tiers
    if policy.tiers:
        basis = t("points earned") if policy.basis == "POINTS" else t("money spent")
        tier_lines = [
            t("Your tier follows your {basis} over the last {days} days.", basis=basis, days=policy.window_days)
        ]
        for tier in policy.tiers:
            start = t.number(tier.threshold) if policy.basis == "POINTS" else t.money(Decimal(tier.threshold) / 100)
            text = t("{name}: from {start}", name=tier.name, start=start)
            if tier.multiplier > 1:
                text += "; " + t("{multiplier} times the base points", multiplier=t.number(tier.multiplier))
            if tier.benefits:
                text += "; " + ", ".join(tier.benefits)
            tier_lines.append(text)
        tier_lines.append(
            t("You move up at once; you keep a tier at least {days} days, then move down one level at a time.",
              days=policy.retention_days)
        )  # fmt: skip
        sections.append(Section(t("Tiers"), tuple(tier_lines)))

    bonuses = rules.bonuses
    bonus_lines = []
    if bonuses.signup:
        bonus_lines.append(t("Welcome bonus: {points} points when you join.", points=t.number(bonuses.signup)))
    if bonuses.birthday:
        period = t("week") if bonuses.birthday_period == "WEEK" else t("month")
        bonus_lines.append(
            t("Birthday bonus: {points} points with your first purchase in your birthday {period}.",
              points=t.number(bonuses.birthday), period=period)
        )  # fmt: skip
    if bonuses.referrer or bonuses.referee:
        bonus_lines.append(
            t("Refer a friend: when they first spend at least {amount}, you get {referrer} and they get {referee} "
              "points.", amount=t.money(bonuses.referral_min_purchase), referrer=t.number(bonuses.referrer),
              referee=t.number(bonuses.referee))
        )  # fmt: skip
    if bonus_lines:
        sections.append(Section(t("Bonuses"), tuple(bonus_lines)))

    cards = await repository.coalition_stamp_cards(connection, coalition.id)
    if cards:
        sections.append(
            Section(
                t("Stamp cards"),
                tuple(
                    t(
                        "{shop}, {card}: a full card of {stamps} stamps gives a coupon.",
                        shop=names.get(c.partner_id, ""),
                        card=c.card.name,
                        stamps=c.card.stamps_required,
                    )
                    for c in cards
                    if c.partner_id in names
                ),
            )
        )

    membership = [
        t("Anyone can join.") if rules.enrolment == "OPEN" else t("Joining is by invitation only during the pilot.")
    ]
    if rules.transfers.enabled:
        membership.append(
            t("You can give points to another member: at most {once} at a time and {day} per day.",
              once=t.number(rules.transfers.max_points_per_transfer), day=t.number(rules.transfers.max_points_per_day))
        )  # fmt: skip
    else:
        membership.append(t("Points cannot be transferred to another member."))
    if rules.donation_matching.percent:
        membership.append(
            t("The coalition adds {percent}% to points you give to a listed charity.",
              percent=rules.donation_matching.percent)
        )  # fmt: skip
    sections.append(Section(t("Membership"), tuple(membership)))
    return Terms(language, t("{name}: programme terms", name=coalition.name), tuple(sections))


_templates = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(terms: Terms, updated: datetime) -> str:
    t = _Writer(terms.language, currency="XXX")  # no money on this line
    return _templates.get_template("terms.html").render(
        terms=terms, updated=t("Written from the programme's live rules on {date}.", date=t.date(updated))
    )


async def page(connection: Executor, slug: str, language: str | None) -> str | None:
    """The terms of the coalition ``slug`` as a web page; None if there is no such coalition."""
    coalition = await coalitions.coalition_by_slug(connection, slug)
    if coalition is None:
        return None
    rules = await load_rules(connection, coalition.id)
    written = await write(connection, coalition, rules, language or rules.language)
    return render_html(written, datetime.now(UTC))
