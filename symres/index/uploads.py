"""Upload times (PEP 700): ``--exclude-newer`` as a date, a timestamp or a cooldown.

A cutoff is a moment in UTC. A file is used only when the index says it was uploaded
before it; a file the index gives no upload time is not used (as uv does: a cooldown that
let through files of unknown age would not hold anything back).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from symres.errors import InputError

_UNITS = {
    "s": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
    "w": 7 * 86400,
    "week": 7 * 86400,
}
_SPAN = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
_ISO_SPAN = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def parse_cutoff(
    text: str, *, now: datetime | None = None, option: str = "--exclude-newer"
) -> datetime:
    """``2024-05-01`` (midnight UTC), ``2024-05-01T12:00:00Z``, or a span back from now:
    ``7d``, ``7 days``, ``1 week``, ``24h``, ``P7D``."""
    value = text.strip()
    now = now or datetime.now(timezone.utc)
    span = _span(value)
    if span is not None:
        return now - span
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(
            f"`{option} {text}` is neither a date, a timestamp nor a span",
            hint="write `2024-05-01`, `2024-05-01T12:00:00Z`, `7d` or `1 week`",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _span(value: str) -> timedelta | None:
    iso = _ISO_SPAN.fullmatch(value.upper())
    if iso and any(iso.groups()):
        w, d, h, m, s = (int(g or 0) for g in iso.groups())
        return timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=s)
    parts = _SPAN.findall(value)
    if not parts or _SPAN.sub("", value).strip(" ,"):
        return None
    seconds = 0
    for number, unit in parts:
        unit = unit.lower()
        factor = _UNITS.get(unit) or _UNITS.get(unit.removesuffix("s"))
        if factor is None:
            return None
        seconds += int(number) * factor
    return timedelta(seconds=seconds)


def show_cutoff(cutoff: datetime) -> str:
    return cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")


def uploaded_before(upload_time: str | None, cutoff: datetime) -> bool:
    """Whether a file the index says was uploaded at *upload_time* is older than *cutoff*."""
    if not upload_time:
        return False
    try:
        moment = datetime.fromisoformat(upload_time.replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment < cutoff
