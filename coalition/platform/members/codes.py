"""One-time codes e-mailed to members: to sign in, to prove again who they
are before moving points away, to claim a card enrolled at a till.

A code is six digits, lives ten minutes and takes five tries; the same mail
carries a link that does what typing the code does. Both are kept in Redis
(only their digests), one pending code per address and purpose: asking again
replaces the earlier one. Asking is limited per address and per client
address, and the answer is the same whether or not the address belongs to a
member, so the form cannot be used to find out who is one.

The mail is written to the outbox in the caller's transaction (the worker
sends it); its words come from the caller, who knows the reader's language."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from redis.asyncio import Redis

from coalition.platform.members import repository, rules
from coalition.platform.outbox import service as outbox
from coalition.platform.runtime.database import AsyncSession

CODE_VALID = timedelta(minutes=10)
CODE_TRIES = 5
CODE_DIGITS = 6
WINDOW = timedelta(minutes=15)
REQUESTS_PER_ADDRESS = 5
REQUESTS_PER_CLIENT = 30
LINK_PATH = "/wallet/sign-in/link/"

# Counts one more try of a pending code, if there is one: -1 when there is none.
_TRY = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'tries', 1)
"""


class Purpose(StrEnum):
    SIGN_IN = "sign-in"
    FRESH = "fresh"  # a signed-in member proving who they are again
    CLAIM = "claim"  # a card enrolled at a till, claimed with an e-mail address
    # A member moving their wallet to a new address: the code goes to the new
    # one, and is pending per member (the confirming member types only the code).
    EMAIL = "email"


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


# (the code, the link) -> the mail, in the reader's language
Compose = Callable[[str, str], Letter]


@dataclass(frozen=True)
class Mailing:
    public_url: str
    mail_from: str


@dataclass(frozen=True)
class Asked:
    """The neutral answer: a code is on its way if the address is a member's."""


@dataclass(frozen=True)
class TooMany:
    retry_after_seconds: int


@dataclass(frozen=True)
class Proven:
    member_id: uuid.UUID
    coalition_id: uuid.UUID
    purpose: Purpose
    email: str  # the address the code was mailed to


class Refusal(StrEnum):
    WRONG = "wrong"  # tries are left
    SPENT = "spent"  # used, expired, replaced, or never sent
    EXHAUSTED = "exhausted"  # five wrong codes: ask for a new one


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _pending_key(purpose: Purpose, coalition_id: uuid.UUID, email: str) -> str:
    return f"wallet:code:{purpose}:{coalition_id}:{_digest(email.strip().lower())}"


def _member_key(coalition_id: uuid.UUID, member_id: uuid.UUID) -> str:
    return f"wallet:code:{Purpose.EMAIL}:{coalition_id}:member:{member_id}"


def _link_key(token: str) -> str:
    return f"wallet:code-link:{_digest(token)}"


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalised_code(typed: str) -> str:
    """What a member typed, without the spaces and dashes people put in codes."""
    return "".join(char for char in typed if char.isdigit())


class Codes:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def _over_limit(self, coalition_id: uuid.UUID, email: str, client: str | None) -> int | None:
        """Counts this request; the seconds to wait when it is one too many."""
        seconds = int(WINDOW.total_seconds())
        counters = [(f"wallet:code-asks:address:{coalition_id}:{_digest(email.lower())}", REQUESTS_PER_ADDRESS)]
        if client:
            counters.append((f"wallet:code-asks:client:{client}", REQUESTS_PER_CLIENT))
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, _ in counters:
                pipe.incr(key)
                pipe.expire(key, seconds, nx=True)
            counted = await pipe.execute()
        for position, (key, limit) in enumerate(counters):
            if int(counted[2 * position]) > limit:
                left = await self._redis.ttl(key)
                return max(int(left), 1)
        return None

    async def ask(
        self,
        session: AsyncSession,
        *,
        coalition_id: uuid.UUID,
        email: str,
        purpose: Purpose,
        client: str | None,
        compose: Compose,
        mailing: Mailing,
        member_id: uuid.UUID | None = None,
    ) -> Asked | TooMany:
        """Mail a code for ``purpose`` to ``email`` if that is right: for
        SIGN_IN and FRESH, when the address is an active member's; for CLAIM,
        ``member_id`` is the card's member and the address the one they claim it
        with; for EMAIL, ``member_id`` is the member moving to the address (the
        mail carries no link: the code is typed on the page that asked for it).
        Raises a validation error for an address that is not one."""
        address = rules.check_email(email)
        assert address is not None
        wait = await self._over_limit(coalition_id, address, client)
        if wait is not None:
            return TooMany(wait)
        if purpose not in (Purpose.CLAIM, Purpose.EMAIL):
            member = await repository.active_member_by_email(session, coalition_id, address)
            member_id = None if member is None else member.id
        if member_id is None:
            return Asked()
        code, token = new_code(), secrets.token_urlsafe(24)
        moving = purpose is Purpose.EMAIL
        pending = _member_key(coalition_id, member_id) if moving else _pending_key(purpose, coalition_id, address)
        fields = {
            "member": str(member_id),
            "coalition": str(coalition_id),
            "purpose": str(purpose),
            "email": address,
            "code": _digest(code),
            "link": _digest(token),
            "tries": 0,
        }
        seconds = int(CODE_VALID.total_seconds())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(pending)
            pipe.hset(pending, mapping=fields)
            pipe.expire(pending, seconds)
            if not moving:
                pipe.set(_link_key(token), pending, ex=seconds)
            await pipe.execute()
        letter = compose(code, "" if moving else mailing.public_url.rstrip("/") + LINK_PATH + token)
        await outbox.enqueue(
            session, coalition_id=coalition_id, recipient=address, subject=letter.subject, body=letter.body,
            mail_from=mailing.mail_from,
        )  # fmt: skip
        return Asked()

    async def _spend(self, pending: str, fields: dict[str, str]) -> Proven | Refusal:
        """The pending code is used up now; only one caller gets it."""
        if not await self._redis.delete(pending):
            return Refusal.SPENT
        return Proven(
            uuid.UUID(fields["member"]), uuid.UUID(fields["coalition"]), Purpose(fields["purpose"]), fields["email"]
        )

    async def _fields(self, pending: str) -> dict[str, str]:
        raw = await self._redis.hgetall(pending)  # type: ignore[misc]
        return {_text(key): _text(value) for key, value in raw.items()}

    async def check(self, *, coalition_id: uuid.UUID, email: str, purpose: Purpose, typed: str) -> Proven | Refusal:
        """Spend the pending code if ``typed`` is it. Each try counts, right or
        wrong; after the fifth wrong one the code is gone."""
        if purpose is Purpose.EMAIL:
            return Refusal.SPENT  # pending per member, never per address: see check_move
        return await self._check(_pending_key(purpose, coalition_id, email), typed)

    async def check_move(self, *, coalition_id: uuid.UUID, member_id: uuid.UUID, typed: str) -> Proven | Refusal:
        """Spend the member's pending code for a new address (``Proven.email``) if ``typed`` is it."""
        return await self._check(_member_key(coalition_id, member_id), typed)

    async def _check(self, pending: str, typed: str) -> Proven | Refusal:
        tries = int(await self._redis.eval(_TRY, 1, pending))  # type: ignore[misc]
        if tries < 0:
            return Refusal.SPENT
        if tries > CODE_TRIES:
            await self._redis.delete(pending)
            return Refusal.EXHAUSTED
        fields = await self._fields(pending)
        if fields and hmac.compare_digest(fields["code"], _digest(normalised_code(typed))):
            return await self._spend(pending, fields)
        if tries >= CODE_TRIES:
            await self._redis.delete(pending)
            return Refusal.EXHAUSTED
        return Refusal.WRONG

    async def follow_link(self, token: str) -> Proven | Refusal:
        """Spend the code whose mail carried this link."""
        pending = await self._redis.get(_link_key(token))
        if pending is None:
            return Refusal.SPENT
        name = _text(pending)
        fields = await self._fields(name)
        if not fields or not hmac.compare_digest(fields["link"], _digest(token)):
            return Refusal.SPENT
        if int(fields["tries"]) >= CODE_TRIES:
            return Refusal.EXHAUSTED
        await self._redis.delete(_link_key(token))
        return await self._spend(name, fields)

    async def link_is_live(self, token: str) -> bool:
        return bool(await self._redis.exists(_link_key(token)))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
