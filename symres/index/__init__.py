"""Talking to a package index: the standard simple API, metadata, files."""
