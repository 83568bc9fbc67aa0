"""What runs the currency: settings, the database and the embedded servers, caches and broadcasts between processes."""
