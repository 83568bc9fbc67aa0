"""Members of a coalition: enrolment, cards, personal data."""
