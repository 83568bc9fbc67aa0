"""Coalitions and the identity of their partner shops."""
