"""Notices to members (points expiring soon, a shop leaving): an outbox that
the wallet shows and a delivery job sends to the coalition's webhook."""
