"""The one symbol judge: a set of pins (and the project's own code) judged against their
providers and the target's stdlib. ``compat``, ``lock``, ``check`` and ``verify`` call it
and only render what it finds."""
