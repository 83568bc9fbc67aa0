"""Sign-in attempt limits, counted in Redis so every API process shares them.

- per account (the e-mail address tried, whatever its case): 5 failures in
  15 minutes lock that account's sign-in for the rest of those 15 minutes;
- per client address (IP): 20 failures in 15 minutes lock sign-in from it
  for the rest of those 15 minutes.

A successful sign-in clears the account's count (not the client's). A TOTP
code is accepted once: replaying a code seen over someone's shoulder, within
the 90 seconds it stays valid, fails."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

WINDOW = timedelta(minutes=15)
TOTP_CODE_LIFETIME = timedelta(seconds=90)  # its 30-second step and one either side
ACCOUNT_FAILURES = 5
CLIENT_FAILURES = 20


def _account_key(coalition: str, email: str) -> str:
    return f"staff:sign-in-failures:account:{coalition}:{email.strip().lower()}"


def _client_key(client: str) -> str:
    return f"staff:sign-in-failures:client:{client}"


class SignInLimits:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def locked(self, coalition: str, email: str, client: str) -> bool:
        account, from_client = await self._redis.mget(_account_key(coalition, email), _client_key(client))
        return int(account or 0) >= ACCOUNT_FAILURES or int(from_client or 0) >= CLIENT_FAILURES

    async def failed(self, coalition: str, email: str, client: str) -> None:
        seconds = int(WINDOW.total_seconds())
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in (_account_key(coalition, email), _client_key(client)):
                pipe.incr(key)
                pipe.expire(key, seconds, nx=True)
            await pipe.execute()

    async def succeeded(self, coalition: str, email: str) -> None:
        await self._redis.delete(_account_key(coalition, email))

    async def first_use_of_totp(self, person: str, code: str) -> bool:
        """True the first time this person's code is used, False on a replay."""
        key = f"staff:totp-used:{person}:{code.strip()}"
        return bool(await self._redis.set(key, 1, nx=True, ex=int(TOTP_CODE_LIFETIME.total_seconds())))
