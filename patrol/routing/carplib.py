"""Reader for the CARPLIB text format (University of Valencia), e.g. the gdb instances.

Format: ``KEY : value`` header lines (``NOMBRE``, ``VERTICES``, ...), then ``LISTA_ARISTAS_REQ :`` followed
by one line per edge ``( u, v)  coste c  demanda q``, optionally ``LISTA_ARISTAS_NOREQ :`` with lines
``( u, v) coste c``, and ``DEPOSITO : d``.  Vertices are numbered from 1 in the file and from 0 here.
For the min-max k-Chinese-postman problem every listed edge (both lists) is required once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patrol.errors import InputError

__all__ = ["CarpInstance", "read_carplib"]

_EDGE = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*coste\s+([0-9.eE+-]+)", re.IGNORECASE)
_HEADER = re.compile(r"^([A-Z_]+)\s*:\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class CarpInstance:
    """A CARPLIB instance as plain arrays (0-based nodes; every edge required once).

    Attributes
    ----------
    name : str
    n_nodes : int
    edge_u, edge_v : numpy.ndarray
        int64 end nodes (0-based).
    edge_length : numpy.ndarray
        float64 costs.
    required_counts : numpy.ndarray
        int64, all ones.
    depot : int
        0-based depot node.
    """

    name: str
    n_nodes: int
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    required_counts: np.ndarray
    depot: int

    def arrays(self) -> dict:
        """Keyword arguments for :func:`patrol.routing.solve_coverage` (without ``k``)."""
        return {"n_nodes": self.n_nodes, "edge_u": self.edge_u, "edge_v": self.edge_v,
                "edge_length": self.edge_length, "required_counts": self.required_counts,
                "depot": self.depot}


def read_carplib(path: str | Path) -> CarpInstance:
    """Read a CARPLIB ``.dat`` file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    CarpInstance

    Raises
    ------
    InputError
        When the file cannot be read or is not in the CARPLIB format.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise InputError(f"cannot read CARPLIB file {path}: {exc.strerror or exc}", field="path") from exc
    header: dict[str, str] = {}
    us: list[int] = []
    vs: list[int] = []
    costs: list[float] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = _EDGE.match(line)
        if m:
            us.append(int(m.group(1)))
            vs.append(int(m.group(2)))
            try:
                costs.append(float(m.group(3)))
            except ValueError as exc:
                raise InputError(f"{path}:{lineno}: bad cost {m.group(3)!r}", field="path") from exc
            continue
        h = _HEADER.match(line)
        if h:
            header[h.group(1).upper()] = h.group(2).strip()
            continue
        if line.upper().startswith("END"):
            break
        raise InputError(f"{path}:{lineno}: not a CARPLIB line: {line[:60]!r}", field="path")
    for key in ("VERTICES", "DEPOSITO"):
        if key not in header:
            raise InputError(f"{path}: not a CARPLIB file (no {key} line)", field="path")
    try:
        n = int(header["VERTICES"])
        depot = int(header["DEPOSITO"].split()[0])
    except (ValueError, IndexError) as exc:
        raise InputError(f"{path}: bad VERTICES or DEPOSITO value", field="path") from exc
    if not us:
        raise InputError(f"{path}: no edges listed", field="path")
    eu = np.asarray(us, dtype=np.int64) - 1
    ev = np.asarray(vs, dtype=np.int64) - 1
    if n < 1 or eu.min() < 0 or ev.min() < 0 or max(eu.max(), ev.max()) >= n or not 1 <= depot <= n:
        raise InputError(f"{path}: vertex numbers outside 1..{n}", field="path")
    n_expected = sum(int(header[key]) for key in ("ARISTAS_REQ", "ARISTAS_NOREQ") if header.get(key, "").isdigit())
    if n_expected and n_expected != len(us):
        raise InputError(f"{path}: header announces {n_expected} edges, file lists {len(us)}", field="path")
    return CarpInstance(name=header.get("NOMBRE", path.stem), n_nodes=n, edge_u=eu, edge_v=ev,
                        edge_length=np.asarray(costs, dtype=np.float64),
                        required_counts=np.ones(len(us), dtype=np.int64), depot=depot - 1)
