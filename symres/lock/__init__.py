"""Inputs (requirements.in, pyproject.toml) and outputs (requirements.txt, pylock.toml)."""
