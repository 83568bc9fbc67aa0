"""The portal's pages for the coalition's operator: partners, rules, settlement, members, audit, insights."""
