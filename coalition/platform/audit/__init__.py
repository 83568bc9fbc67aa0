"""The audit log: every operator and manager change, who made it, before and after."""
