"""Street-name normalization shared by the geocoder, the corridor flags and the builders.

Sources spell one street many ways: ``W Lake St`` (compiled facts), ``West Lake Street``
(OpenStreetMap), ``LAKE`` (city centreline).  :func:`core_name` reduces each to the part that
identifies the street (``lake``), so that they compare equal.
"""

from __future__ import annotations

import re

__all__ = ["core_name", "display_name", "tokens"]

_DIRECTIONS = {"w", "e", "n", "s", "west", "east", "north", "south", "nw", "ne", "sw", "se"}
_SUFFIXES = {
    "st", "street", "ave", "av", "avenue", "pkwy", "parkway", "blvd", "boulevard", "dr", "drive",
    "rd", "road", "pl", "place", "ln", "lane", "ct", "court", "ter", "terrace", "way", "cir", "circle",
}
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)?$")


def tokens(name: str) -> list[str]:
    """Lower-case word tokens of a street name, punctuation removed.

    Examples
    --------
    >>> tokens("W. Lake St")
    ['w', 'lake', 'st']
    """
    return [t for t in re.split(r"[^0-9a-z]+", name.lower()) if t]


def core_name(name: str) -> str:
    """The identifying part of a street name: no direction prefix/suffix, no street type.

    Ordinals are normalized (``28TH`` and ``28th`` and ``28`` give ``28th``).  A name that is only
    a direction or a type keeps its words.

    Examples
    --------
    >>> core_name("W Lake St"), core_name("West Lake Street"), core_name("LAKE")
    ('lake', 'lake', 'lake')
    >>> core_name("W 28th St"), core_name("28TH")
    ('28th', '28th')
    >>> core_name("E Lake of the Isles Pkwy")
    'lake of the isles'
    """
    words = tokens(name)
    if len(words) > 1 and words[0] in _DIRECTIONS:
        words = words[1:]
    if len(words) > 1 and words[-1] in _DIRECTIONS:
        words = words[:-1]
    if len(words) > 1 and words[-1] in _SUFFIXES:
        words = words[:-1]
    out = []
    for w in words:
        m = _ORDINAL.match(w)
        if m:
            n = int(m.group(1))
            suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
            w = f"{n}{suffix}"
        out.append(w)
    return " ".join(out)


def display_name(raw: str) -> str:
    """A readable name from an upper-case source name (``"LAKE"`` -> ``"Lake"``, ``"28TH"`` -> ``"28th"``)."""
    if raw.isupper():
        return " ".join(w if w[:1].isdigit() and w.lower() == w else w.capitalize() for w in raw.lower().split())
    return raw
