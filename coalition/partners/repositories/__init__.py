"""Queries for what partners configure and what the till reads."""
