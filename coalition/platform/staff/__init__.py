"""Staff people (operator and shop staff), their roles, sign-in and sessions."""
