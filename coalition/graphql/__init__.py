"""The strawberry schema: translation and authorisation only; the work is in services."""
