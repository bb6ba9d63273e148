"""Static analysis of wheel source: exports (what a release provides) and uses (what it
needs from other distributions). No package code is ever executed here."""
