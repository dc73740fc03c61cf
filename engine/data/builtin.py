"""Imports the modules that register the built-in data sources."""
