"""Insights' SQL beyond the import's: the daily rollups and the reports read from them."""
