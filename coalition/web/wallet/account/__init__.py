"""Joining, claiming a card, signing in (codes, links, passkeys), the layout, the card page."""
