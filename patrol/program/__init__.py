"""A program of several districts: one record, one dispatch desk, ranking across district boundaries.

``load`` (``program.toml`` -> :class:`Program`) -> ``joined`` (the districts' street graphs joined where they
touch) -> ``ranking`` (:class:`ProgramDesk`: each district's desk places its units, the ranking walks the joined
network) and ``plans`` (every district's plan of a day, in parallel on Dask, each checked).
"""

from patrol.program.joined import JoinedNetwork, join_districts
from patrol.program.load import EMBEDDED, Program, ProgramDistrict, load_program

__all__ = ["EMBEDDED", "JoinedNetwork", "Program", "ProgramDistrict", "join_districts", "load_program"]
