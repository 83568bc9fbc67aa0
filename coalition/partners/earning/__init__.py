"""Earning points: the earn data model, the pure engine, the save-time checks and the till."""
