"""Data shipped with symres (installed as ``symres.data``): the stdlib symbol table,
built by scripts/build_stdlib_table.py."""
