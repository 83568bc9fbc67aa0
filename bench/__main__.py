"""Benchmarks, each against a baseline measured in the same run.

    uv run python -m bench [till] [...]       the till's hot path over HTTP vs pgbench TPC-B
    uv run python -m bench postings [...]     postings through the ledger service (no HTTP)
    uv run python -m bench settlement [...]   a day's settlement vs a bare GROUP BY
    uv run python -m bench earn-lines [...]   an earn keeping a five-line basket vs one without
    uv run python -m bench import [...]       importing 1.5 million receipt lines vs a bare COPY
    uv run python -m bench aimed-earn [...]   an earn with a campaign aimed at an audience vs without
    uv run python -m bench portal [...]       the portal's pages (the till's earn) vs the same through the API
    uv run python -m bench soak [...]         30 minutes at half capacity: memory, p99, failures
    uv run python -m bench insights [...]     the insights rollup vs a bare GROUP BY; each report's p50/p99
    uv run python -m bench chaos [...]        the fault scenarios in turn for minutes: nothing lost or doubled

``--help`` after a name gives its options.
"""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    name = args.pop(0) if args and not args[0].startswith("-") else "till"
    if name == "till":
        from bench import till

        till.main(args)
    elif name == "postings":
        from bench import postings

        postings.main(args)
    elif name == "settlement":
        from bench import settlement

        settlement.main(args)
    elif name == "earn-lines":
        from bench import earn_lines

        earn_lines.main(args)
    elif name == "aimed-earn":
        from bench import aimed_earn

        aimed_earn.main(args)
    elif name == "import":
        from bench import importing

        importing.main(args)
    elif name == "portal":
        from bench import portal

        portal.main(args)
    elif name == "soak":
        from bench import soak

        soak.main(args)
    elif name == "chaos":
        from bench import chaos

        chaos.main(args)
    elif name == "insights":
        from bench import insights

        insights.main(args)
    else:
        sys.exit(f"unknown benchmark {name!r}; see python -m bench --help\n{__doc__}")


if __name__ == "__main__":
    main()
