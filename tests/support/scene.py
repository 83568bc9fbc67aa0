"""The cast of the API tests: two shops, a member of each, every kind of credential."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tests.support.town import Town


@dataclass
class Scene:
    """Two shops, a member of each, and every kind of credential."""

    town: Town
    operator: str
    shop_a: uuid.UUID
    manager_a: str
    pos_a: str
    shop_b: uuid.UUID
    manager_b: str
    card_a: str
    member_a: uuid.UUID
    member_token_a: str
    card_b: str
    member_token_b: str
    earn_a: str  # a transaction posted by shop A for member A
    earn_b: str  # a transaction posted by shop B for member B
