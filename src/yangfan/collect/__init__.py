"""Producers of data values: published history, files and forms."""
