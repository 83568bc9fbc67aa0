"""Pages anyone may read without signing in."""
