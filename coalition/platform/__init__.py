"""The shared currency and its base: settings, database, members, wallets, ledger, credentials."""
