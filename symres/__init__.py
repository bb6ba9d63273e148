"""symres: lock Python dependencies so that the lock not only resolves, but imports."""

__version__ = "0.1.0"
