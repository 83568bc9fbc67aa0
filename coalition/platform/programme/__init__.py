"""The coalition-wide programme: limits, bonuses, tiers, enrolment, transfers, charities."""
