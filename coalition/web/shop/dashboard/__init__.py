"""The shop's dashboard: its insights, as a page and as CSV downloads."""
