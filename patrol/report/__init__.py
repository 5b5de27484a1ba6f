"""The program report: every measure of success the record supports, for any date range.

Modules
-------
period    the report's local date range and its UTC bounds
queries   every SQL statement (read-only reads of the record; the import tables)
measures  the measures as pure functions over rows
presence  hours of visible presence from pings (plans as the flagged fallback)
imports   CSV imports: field logs, community/business surveys, incident history
build     read + compute: :func:`build_report`
charts    matplotlib charts (base64 PNG) and the presence map (folium)
render    HTML / CSV / JSON output

See ``docs/report.md`` for the measures, their definitions and the import formats.
"""

from patrol.report.build import Report, ReportOptions, ReportScope, build_report, planned_checkins
from patrol.report.imports import FORMATS as IMPORT_FORMATS
from patrol.report.imports import ImportResult, import_csv
from patrol.report.measures import Measure
from patrol.report.period import Period
from patrol.report.presence import Presence, load_plans, measure_presence
from patrol.report.render import FORMATS, render_html, write_report

__all__ = [
    "FORMATS", "IMPORT_FORMATS", "ImportResult", "Measure", "Period", "Presence", "Report", "ReportOptions",
    "ReportScope", "build_report", "import_csv", "load_plans", "measure_presence", "planned_checkins", "render_html",
    "write_report",
]
