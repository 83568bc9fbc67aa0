"""Credentials: operator tokens, partner API keys, member tokens."""
