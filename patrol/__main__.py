"""``python -m patrol`` runs the command line."""

import sys

from patrol.cli import main

sys.exit(main())
