"""The report's date range: local dates of the district, their UTC bounds and the period before.

A report covers whole local days ``[first, last]`` (both included) in ``district.timezone``.  The
record stores UTC text (:mod:`patrol.dispatch.clock`), so queries use :attr:`Period.since` /
:attr:`Period.until` (``[since, until)``); surveys and the incident history carry local dates and
times and are compared with :attr:`Period.first` / :attr:`Period.last` directly.

>>> p = Period.from_dates("2026-06-02", "2026-06-06", "America/Chicago")
>>> p.days, p.since, p.previous().first
(5, '2026-06-02T05:00:00.000Z', '2026-05-28')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from patrol.dispatch.clock import iso, local_moment
from patrol.errors import InputError
from patrol.settings import DAYS

__all__ = ["Period", "parse_date"]


def parse_date(text: str | date, field: str = "date") -> date:
    """A :class:`~datetime.date` from ``YYYY-MM-DD`` text.

    Raises
    ------
    InputError
        Naming ``field`` when the text is not a date.
    """
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError(f"{field}: {text!r} is not a date (YYYY-MM-DD)", field=field) from None


@dataclass(frozen=True)
class Period:
    """Whole local days ``first..last`` (both included) of a district time zone.

    Attributes
    ----------
    first, last : str
        Local dates, ``YYYY-MM-DD``.
    tz : str
        The district's time zone name.
    since, until : str
        UTC bounds ``[since, until)`` in the record's text form.
    """

    first: str
    last: str
    tz: str
    since: str
    until: str

    @classmethod
    def from_dates(cls, first: str | date, last: str | date, tz: str) -> Period:
        """The period between two local dates (both included).

        Raises
        ------
        InputError
            When a date cannot be read or ``last`` is before ``first``.
        """
        d0, d1 = parse_date(first, "from"), parse_date(last, "to")
        if d1 < d0:
            raise InputError(f"--to {d1} is before --from {d0}", field="to")
        since = iso(local_moment("00:00", tz, on=d0))
        until = iso(local_moment("00:00", tz, on=d1 + timedelta(days=1)))
        return cls(d0.isoformat(), d1.isoformat(), tz, since, until)

    @property
    def days(self) -> int:
        """Number of local days in the period."""
        return (date.fromisoformat(self.last) - date.fromisoformat(self.first)).days + 1

    def dates(self) -> list[date]:
        """Every local date of the period, in order."""
        d0 = date.fromisoformat(self.first)
        return [d0 + timedelta(days=k) for k in range(self.days)]

    def shift_dates(self, shift_days) -> list[date]:
        """The dates of the period that are shift days (``shift_days``: ``("tue", ...)``)."""
        wanted = set(shift_days)
        return [d for d in self.dates() if DAYS[d.weekday()] in wanted]

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        d0 = date.fromisoformat(self.first)
        return Period.from_dates(d0 - timedelta(days=self.days), d0 - timedelta(days=1), self.tz)

    def contains_date(self, text: str) -> bool:
        """Whether a local ``YYYY-MM-DD...`` text (date or date-time) falls in the period."""
        return self.first <= text[:10] <= self.last

    def to_dict(self) -> dict:
        return {"from": self.first, "to": self.last, "timezone": self.tz, "days": self.days,
                "utc_since": self.since, "utc_until": self.until}
