"""patrol: plan and run foot patrols for community safety ambassador programs.

The package re-exports the main entry points; see the modules for the rest.
"""

from patrol.district import District, load_district
from patrol.errors import PatrolError
from patrol.settings import Settings, load_settings
from patrol.timeline import Leg, Timeline

__all__ = ["District", "Leg", "PatrolError", "Settings", "Timeline", "load_district", "load_settings"]
__version__ = "0.1.0"
