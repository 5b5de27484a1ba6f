"""Street-coverage routing core: the min-max k-Chinese-postman problem on plain arrays.

``solve_coverage`` splits the required street blocks among k walkers leaving from and returning to a
depot, minimizing the longest walk; every answer states its lower bound and gap.  ``lower_bounds`` gives the
bounds alone, ``validate_walks`` / ``validate_solution`` / ``check_solution`` check walks independently of
the solver, and ``read_carplib`` reads benchmark instances.  The daily plan built on this core is
:mod:`patrol.planning`.
"""

from patrol.routing.bounds import lower_bounds
from patrol.routing.carplib import CarpInstance, read_carplib
from patrol.routing.solution import CoverageSolution
from patrol.routing.solver import solve_coverage
from patrol.routing.validate import check_solution, validate_solution, validate_walks

__all__ = [
    "CarpInstance",
    "CoverageSolution",
    "check_solution",
    "lower_bounds",
    "read_carplib",
    "solve_coverage",
    "validate_solution",
    "validate_walks",
]
