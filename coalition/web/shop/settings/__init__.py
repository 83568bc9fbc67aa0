"""The shop's settings page: its kind, its agreement to be named in other shops' insights, its margin."""
