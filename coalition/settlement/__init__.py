"""Business days, obligations, netting, statements and payout files."""
