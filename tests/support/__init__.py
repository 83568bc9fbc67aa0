"""Plain helpers the tests share. Fixtures live in the conftest.py files (pytest's
way); test modules import helpers from here, never from each other."""
