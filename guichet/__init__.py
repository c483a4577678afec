"""Guichet: omnichannel citizen-relationship platform for public administrations."""

__version__ = "0.1.0"
