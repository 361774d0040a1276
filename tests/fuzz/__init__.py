"""Fuzz harnesses: a package, so its conftest does not shadow the suite's own `conftest` module."""
