"""Synthetic public-sector HR data, deterministic by seed."""
