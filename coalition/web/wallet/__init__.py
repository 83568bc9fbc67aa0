"""The members' wallet app under /wallet: mobile first, installable, the card usable offline."""
