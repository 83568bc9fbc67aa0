"""A lean HTTP/1.1 load generator for the GraphQL endpoint, run as its own process.

    python -m bench.loadgen < plan.json > result.json

Why not httpx or aiohttp: on a 2-core machine the generator shares the CPU
with the API and PostgreSQL, and every microsecond it spends is taken from
what it measures. This one keeps a fixed set of keep-alive connections (one
per client, each a closed loop: send, wait for the answer, send again), sends
request bytes formatted from a template (only the variables change), and
reads answers by Content-Length without parsing JSON. It runs on uvloop and
reports its own CPU time, so the table can show what it cost.

The plan (JSON on stdin)::

    {"port": 8000, "clients": 32, "seconds": 10, "warmup": 2,
     "operation": "earn" | "redeem" | "wallet" | "ping",
     "tokens": ["<POS key of shop 0>", ...], "cards": ["B000000000", ...],
     "hot_share": 0.2, "hot_count": 1000, "seed": 1,
     "rate": 0, "mix": {"earn": 50, "wallet": 35, "redeem": 15}}

``hot_share`` of requests go to the first ``hot_count`` cards (the hot
wallets); the rest are spread over all cards. ``operation: "mix"`` draws
each request's operation from ``mix`` (weights). ``rate`` (requests a second,
all clients together) paces the clients instead of sending as fast as the
API answers: the soak runs at a set share of capacity.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
import uuid
from array import array
from typing import Any

import uvloop

_QUERIES = {
    "ping": "query Ping { __typename }",
    "earn": (
        "mutation Earn($i: EarnPointsInput!) { earnPoints(input: $i) "
        "{ transaction { id points } wallet { balance available } } }"
    ),
    "redeem": (
        "mutation Redeem($i: RedeemPointsInput!) { redeemPoints(input: $i) "
        "{ transaction { id points } wallet { balance available } } }"
    ),
    "wallet": "query Wallet($c: String!) { member(cardNumber: $c) { wallet { balance available pending } } }",
}


_MIX_DEFAULT = {"earn": 50, "wallet": 35, "redeem": 15}


def _variables(operation: str, card: str, key: str) -> str:
    if operation == "earn":
        return f'{{"i":{{"idempotencyKey":"{key}","cardNumber":"{card}","amount":"23.45"}}}}'
    if operation == "redeem":
        return f'{{"i":{{"idempotencyKey":"{key}","cardNumber":"{card}","points":5}}}}'
    if operation == "wallet":
        return f'{{"c":"{card}"}}'
    return "{}"


class Plan:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.port: int = spec["port"]
        self.clients: int = spec["clients"]
        self.seconds: float = spec["seconds"]
        self.warmup: float = spec.get("warmup", 1.0)
        self.operation: str = spec["operation"]
        self.tokens: list[str] = spec["tokens"]
        self.cards: list[str] = spec["cards"]
        self.hot_share: float = spec.get("hot_share", 0.0)
        self.hot_count: int = spec.get("hot_count", 0)
        self.random = random.Random(spec.get("seed", 1))
        self.rate: float = spec.get("rate", 0)
        mix = spec.get("mix", _MIX_DEFAULT) if self.operation == "mix" else {self.operation: 1}
        self._operations = list(mix)
        self._weights = [mix[name] for name in self._operations]
        self._heads = {name: '{"query":' + json.dumps(_QUERIES[name]) + ',"variables":' for name in mix}
        self._prefix = [
            f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
            for token in self.tokens
        ]
        self._run = uuid.uuid4().hex[:8]

    def card(self) -> str:
        if self.hot_count and self.random.random() < self.hot_share:
            return self.cards[self.random.randrange(self.hot_count)]
        return self.cards[self.random.randrange(len(self.cards))]

    def request(self, client: int, n: int) -> bytes:
        operation = (
            self.random.choices(self._operations, self._weights)[0]
            if len(self._operations) > 1
            else (self._operations[0])
        )
        body = self._heads[operation] + _variables(operation, self.card(), f"{self._run}-{client}-{n}") + "}"
        return (self._prefix[(client + n) % len(self._prefix)] + f"{len(body)}\r\n\r\n" + body).encode()


async def _client(plan: Plan, number: int, start: float, stop: float, out: dict[str, Any]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", plan.port)
    latencies: array[float] = out["latencies"]
    n = 0
    # Paced: each client sends at its share of the rate, offset so they do not move in step.
    interval = plan.clients / plan.rate if plan.rate else 0.0
    next_at = time.perf_counter() + interval * number / plan.clients
    try:
        while True:
            request = plan.request(number, n)
            n += 1
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            sent = time.perf_counter()
            if sent >= stop:
                return
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            done = time.perf_counter()
            if sent < start:
                continue
            if not head.startswith(b"HTTP/1.1 200") or body.startswith(b'{"data":null') or b'"errors"' in body:
                out["failed"] += 1
                if len(out["samples"]) < 3:
                    out["samples"].append((head.split(b"\r\n", 1)[0] + b" " + body[:300]).decode(errors="replace"))
            else:
                latencies.append(done - sent)
    finally:
        writer.close()


async def run(plan: Plan) -> dict[str, Any]:
    out: dict[str, Any] = {"latencies": array("d"), "failed": 0, "samples": []}
    began = time.perf_counter()
    start = began + plan.warmup
    stop = start + plan.seconds
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(_client(plan, c, start, stop, out) for c in range(plan.clients)))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    latencies = sorted(out["latencies"])
    count = len(latencies)

    def quantile(q: float) -> float:
        return round(latencies[min(count - 1, int(q * count))] * 1000, 2) if count else 0.0

    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    elapsed = time.perf_counter() - began
    return {
        "operation": plan.operation,
        "clients": plan.clients,
        "hot": bool(plan.hot_count),
        "per_second": round(count / plan.seconds, 1),
        "p50_ms": quantile(0.50),
        "p95_ms": quantile(0.95),
        "p99_ms": quantile(0.99),
        "ok": count,
        "failed": out["failed"],
        "failure_samples": out["samples"],
        "loadgen_cpu_share": round(cpu / elapsed, 3),
    }


def main() -> None:
    plan = Plan(json.load(sys.stdin))
    json.dump(uvloop.run(run(plan)), sys.stdout)


if __name__ == "__main__":
    main()
