"""A member's own data: profile, consent, download of everything held, erasure."""
