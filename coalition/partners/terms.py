"""The programme terms, written from the live configuration, so the terms a
member reads are always the rules the tills apply. English is the source
language; other languages come from Babel catalogues (locales/<lang>), plural
forms included. A language the terms are not written in is answered with the
coalition's own language. The web page that shows them is in coalition/web."""

from __future__ import annotations

import functools
import gettext
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from coalition.partners.repositories import programme as repository
from coalition.platform.coalitions import repository as coalitions
from coalition.platform.coalitions.repository import CoalitionRecord
from coalition.platform.programme.rules import LANGUAGES, CoalitionRules
from coalition.platform.runtime.catalogues import compiled
from coalition.platform.runtime.database import Executor

_HERE = Path(__file__).parent
# Category codes are the tills' own (a basket line's category); their names
# for members come from the catalogues under this context, or are the code.
_CATEGORY = "category"


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    return compiled(_HERE / "locales" / language / "LC_MESSAGES" / "terms.po", language, "terms")


def _whole(number: Decimal | int) -> int:
    """gettext's plural rules read whole numbers; a fraction ("1.5 points")
    takes the plural in the languages the terms are written in, as 2 does."""
    return int(number) if number == int(number) else 2


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
        self._translations = _translations(language)

    def __call__(self, message: str, **values: object) -> str:
        return self._translations.gettext(message).format(**values)

    def plural(self, singular: str, plural: str, number: Decimal | int, **values: object) -> str:
        """The message in the form ``number`` takes ("1 point", "2 points")."""
        return self._translations.ngettext(singular, plural, _whole(number)).format(**values)

    def category(self, code: str) -> str:
        return self._translations.pgettext(_CATEGORY, code)

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
        else t.plural("Points can be spent {days} day after the purchase (the return window).",
                      "Points can be spent {days} days after the purchase (the return window).",
                      coalition.pending_days, days=coalition.pending_days),
        t("Points do not expire.")
        if coalition.expiry_months is None
        else t.plural("Points expire {months} month after they are earned.",
                      "Points expire {months} months after they are earned.",
                      coalition.expiry_months, months=coalition.expiry_months),
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
        line = t.plural("{shop}: {rate} point per {unit} spent", "{shop}: {rate} points per {unit} spent",
                        shop_rules.base_rate, shop=shop.name, rate=t.number(shop_rules.base_rate),
                        unit=t.money(Decimal(1)))  # fmt: skip
        extras = [
            t(
                "{category}: {rate} per {unit}",
                category=t.category(c.category),
                rate=t.number(c.rate),
                unit=t.money(Decimal(1)),
            )
            for c in shop_rules.category_rates
        ] + [
            t("from {amount}: +{points}", amount=t.money(th.min_spend), points=t.number(th.points))
            for th in sorted(shop_rules.thresholds, key=lambda th: th.min_spend)
        ]
        if shop_rules.max_points_per_transaction:
            most = shop_rules.max_points_per_transaction
            extras.append(
                t.plural("at most {points} point per purchase", "at most {points} points per purchase", most,
                         points=t.number(most))
            )  # fmt: skip
        lines.append(line + ("; " + "; ".join(extras) if extras else ""))
    sections.append(Section(t("Earning at our shops"), tuple(lines) or (t("No shops have joined yet."),)))

    limits = rules.limits
    limit_lines = [
        t.plural("Every shop gives between {low} and {high} point per {unit} spent.",
                 "Every shop gives between {low} and {high} points per {unit} spent.", limits.max_earn_rate,
                 low=t.number(limits.min_earn_rate), high=t.number(limits.max_earn_rate), unit=t.money(Decimal(1))),
    ]  # fmt: skip
    if limits.max_points_per_transaction:
        most = limits.max_points_per_transaction
        limit_lines.append(
            t.plural("At most {points} point per purchase.", "At most {points} points per purchase.", most,
                     points=t.number(most))
        )  # fmt: skip
    if limits.max_points_per_member_per_day:
        most = limits.max_points_per_member_per_day
        limit_lines.append(
            t.plural("At most {points} point per member per day.", "At most {points} points per member per day.",
                     most, points=t.number(most))
        )  # fmt: skip
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
            bonus = campaign.bonus_points or 0
            what = t.plural("+{points} point", "+{points} points", bonus, points=t.number(bonus))
        else:
            what = t("a coupon")
        line = t("{name} ({who}): {what}, from {start} until {end}.", name=campaign.name, who=who, what=what,
                 start=t.date(campaign.starts_at), end=t.date(campaign.ends_at))  # fmt: skip
        # An aimed campaign reaches a segment, less its holdout: the terms must not promise it to everyone.
        promo_lines.append(f"{line} {t('For selected members only.')}" if campaign.audience else line)
    for challenge in await repository.challenge_list(connection, coalition.id, now):
        period = t("week") if challenge.period == "WEEK" else t("month")
        promo_lines.append(
            t.plural("{name}: shop at {count} different partners in one {period} and get {points} point "
                     "(until {end}).",
                     "{name}: shop at {count} different partners in one {period} and get {points} points "
                     "(until {end}).", challenge.bonus_points,
              name=challenge.name, count=challenge.distinct_partners, period=period,
              points=t.number(challenge.bonus_points), end=t.date(challenge.ends_at))
        )  # fmt: skip
    if promo_lines:
        sections.append(Section(t("Campaigns and challenges"), tuple(promo_lines)))

    policy = rules.tiers
    if policy.tiers:
        basis = t("points earned") if policy.basis == "POINTS" else t("money spent")
        window = t.plural("Your tier follows your {basis} over the last {days} day.",
                          "Your tier follows your {basis} over the last {days} days.", policy.window_days,
                          basis=basis, days=policy.window_days)  # fmt: skip
        tier_lines = [window]
        for tier in policy.tiers:
            start = t.number(tier.threshold) if policy.basis == "POINTS" else t.money(Decimal(tier.threshold) / 100)
            text = t("{name}: from {start}", name=tier.name, start=start)
            if tier.multiplier > 1:
                text += "; " + t("{multiplier} times the base points", multiplier=t.number(tier.multiplier))
            if tier.benefits:
                text += "; " + ", ".join(tier.benefits)
            tier_lines.append(text)
        tier_lines.append(
            t.plural("You move up at once; you keep a tier at least {days} day, then move down one level at a time.",
                     "You move up at once; you keep a tier at least {days} days, then move down one level at a "
                     "time.", policy.retention_days, days=policy.retention_days)
        )  # fmt: skip
        sections.append(Section(t("Tiers"), tuple(tier_lines)))

    bonuses = rules.bonuses
    bonus_lines = []
    if bonuses.signup:
        bonus_lines.append(
            t.plural("Welcome bonus: {points} point when you join.", "Welcome bonus: {points} points when you join.",
                     bonuses.signup, points=t.number(bonuses.signup))
        )  # fmt: skip
    if bonuses.birthday:
        period = t("week") if bonuses.birthday_period == "WEEK" else t("month")
        bonus_lines.append(
            t.plural("Birthday bonus: {points} point with your first purchase in your birthday {period}.",
                     "Birthday bonus: {points} points with your first purchase in your birthday {period}.",
                     bonuses.birthday, points=t.number(bonuses.birthday), period=period)
        )  # fmt: skip
    if bonuses.referrer or bonuses.referee:
        bonus_lines.append(
            t.plural("Refer a friend: when they first spend at least {amount}, you get {referrer} and they get "
                     "{referee} point.",
                     "Refer a friend: when they first spend at least {amount}, you get {referrer} and they get "
                     "{referee} points.", bonuses.referee, amount=t.money(bonuses.referral_min_purchase),
                     referrer=t.number(bonuses.referrer), referee=t.number(bonuses.referee))
        )  # fmt: skip
    if bonus_lines:
        sections.append(Section(t("Bonuses"), tuple(bonus_lines)))

    cards = await repository.coalition_stamp_cards(connection, coalition.id)
    if cards:
        sections.append(
            Section(
                t("Stamp cards"),
                tuple(
                    t.plural(
                        "{shop}, {card}: a full card of {stamps} stamp gives a coupon.",
                        "{shop}, {card}: a full card of {stamps} stamps gives a coupon.",
                        c.card.stamps_required,
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
