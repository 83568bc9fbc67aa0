"""Numbers, money and dates as a page's language writes them (Babel's CLDR data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal


@dataclass(frozen=True)
class Formats:
    """The formatting filters of a page in ``language`` (a coalition's ``timezone`` for times)."""

    language: str
    timezone: str = "UTC"

    def number(self, value: Decimal | int | str) -> str:
        return format_decimal(Decimal(value), locale=self.language)

    def money(self, amount: Decimal | int | str, currency: str) -> str:
        """``amount`` in major units (a GraphQL Decimal arrives as a string: never a float)."""
        return format_currency(Decimal(amount), currency, locale=self.language)

    def date(self, value: date | datetime | str, style: str = "long") -> str:
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        if isinstance(value, datetime):
            return format_date(value.date(), format=style, locale=self.language)
        return format_date(value, format=style, locale=self.language)

    def moment(self, value: datetime | str, style: str = "medium") -> str:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return format_datetime(moment, format=style, tzinfo=ZoneInfo(self.timezone), locale=self.language)

    def filters(self) -> dict[str, object]:
        return {"number": self.number, "money": self.money, "date": self.date, "moment": self.moment}
