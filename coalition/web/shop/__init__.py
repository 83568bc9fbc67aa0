"""The portal's pages for a shop's staff: dashboard, till, members, programme, statements."""
