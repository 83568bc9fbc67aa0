"""Insights: what the programme is doing for each shop and for the coalition."""
