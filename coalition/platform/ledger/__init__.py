"""The points ledger: wallets, double-entry transactions, lots and their consumptions."""
