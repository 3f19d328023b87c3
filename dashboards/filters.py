"""The global filters (service-date range, payer, provider, location), kept in the URL query string.

Why the URL: a view can be shared by copying the address. What may go there is limited to dates and
reference ids (payer ids, billing-provider NPIs, location ids), which are not patient identifiers;
anything that does not parse is dropped rather than echoed, so the query string can never carry
free text into a page, a log line or a SQL statement.

    ?from=2024-01-01&to=2024-06-30&payer=MCR01,BCX01&provider=1000000001&location=LOC1
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_VALUES = 50
KEYS = ("from", "to", "payer", "provider", "location")


@dataclass(frozen=True)
class GlobalFilters:
    """What every page honours. Empty tuples and None mean "no restriction"."""

    start: dt.date | None = None
    end: dt.date | None = None
    payers: tuple[str, ...] = field(default_factory=tuple)
    providers: tuple[str, ...] = field(default_factory=tuple)
    locations: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        """JSON-able form for a dcc.Store."""
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "payer": list(self.payers),
            "provider": list(self.providers),
            "location": list(self.locations),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> GlobalFilters:
        """Inverse of to_dict; validates again because a Store's content comes back from the browser."""
        return from_mapping(data or {})

    def is_empty(self) -> bool:
        return not (self.start or self.end or self.payers or self.providers or self.locations)


def _date(value: object) -> dt.date | None:
    if isinstance(value, list | tuple):  # parse_qs gives lists; the first value wins
        value = value[0] if value else None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _ids(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items: list[str] = []
    raw = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
    for chunk in raw:
        if not isinstance(chunk, str):
            continue
        for part in chunk.split(","):
            part = part.strip()
            if _ID.match(part) and part not in items:
                items.append(part)
    return tuple(sorted(items)[:MAX_VALUES])


def from_mapping(data: Mapping[str, object]) -> GlobalFilters:
    """Filters from a parsed query string (values may be strings, comma lists or lists)."""
    start, end = _date(data.get("from")), _date(data.get("to"))
    if start and end and start > end:
        start, end = end, start
    return GlobalFilters(
        start=start,
        end=end,
        payers=_ids(data.get("payer")),
        providers=_ids(data.get("provider")),
        locations=_ids(data.get("location")),
    )


def parse_search(search: str | None) -> GlobalFilters:
    """Filters from `location.search` ('?from=...'); unknown keys and bad values are ignored."""
    if not search:
        return GlobalFilters()
    parsed = parse_qs(search.lstrip("?"), keep_blank_values=False)
    return from_mapping({key: values for key, values in parsed.items() if key in KEYS})


def to_search(filters: GlobalFilters) -> str:
    """The canonical query string ('' when nothing is filtered), keys in a fixed order."""
    pairs: list[tuple[str, str]] = []
    if filters.start:
        pairs.append(("from", filters.start.isoformat()))
    if filters.end:
        pairs.append(("to", filters.end.isoformat()))
    for key, values in (
        ("payer", filters.payers),
        ("provider", filters.providers),
        ("location", filters.locations),
    ):
        if values:
            pairs.append((key, ",".join(values)))
    return "?" + urlencode(pairs, safe=",") if pairs else ""
