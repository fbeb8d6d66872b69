"""presence: an open, self-hostable presence registration registry."""

__version__ = "0.1.0"
