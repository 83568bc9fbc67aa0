"""What a partner shop runs and sees: lifecycle, keys, programme rules."""
