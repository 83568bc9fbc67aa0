"""The partner portal's shell: staff sign-in, the layout and navigation every
portal page shares, staff and keys, a shop's settings."""
