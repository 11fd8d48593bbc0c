"""Scratch Oracle trainer: load -> analytics -> features -> models -> export -> publish."""

__version__ = "0.1.0"
