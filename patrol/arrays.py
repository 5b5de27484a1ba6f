"""Contiguous arrays of the street graph for the fast paths (Numba kernels, OR-Tools models).

External node ids are mapped to ``0..n-1`` here, once; compiled code sees only these arrays and
results are mapped back through :attr:`GraphArrays.node_ids`.  Edge ``e`` is street block ``e``.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

__all__ = ["GraphArrays", "graph_arrays"]


@dataclass(frozen=True)
class GraphArrays:
    """CSR and per-node / per-block arrays of a normalized street graph.

    Attributes
    ----------
    node_ids : ndarray of int64
        Graph node id of each contiguous index.
    index_of : dict
        Graph node id -> contiguous index.
    x, y, lon, lat : ndarray of float64
        Projected metres and WGS84 degrees per node.
    edge_u, edge_v : ndarray of int64
        Contiguous end indices of each block (``u`` end first, as stored on the block).
    edge_length : ndarray of float64
        Block lengths in metres.
    edge_in_area, edge_corridor : ndarray of bool
    edge_name : ndarray of object
    indptr, indices, weights, csr_edge : ndarray
        Symmetric CSR adjacency: the neighbours of node ``i`` are
        ``indices[indptr[i]:indptr[i+1]]``, reached along block ``csr_edge[...]`` of length
        ``weights[...]``.  Each block appears once from each end (a self-loop twice at its node).
    """

    node_ids: np.ndarray
    index_of: dict[int, int]
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    edge_in_area: np.ndarray
    edge_corridor: np.ndarray
    edge_name: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    csr_edge: np.ndarray

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.size)

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.size)

    def scipy_csr(self):
        """The adjacency as a :class:`scipy.sparse.csr_array` (parallel blocks: the shortest kept)."""
        from scipy.sparse import coo_array

        n = self.n_nodes
        u = np.concatenate([self.edge_u, self.edge_v])
        v = np.concatenate([self.edge_v, self.edge_u])
        w = np.concatenate([self.edge_length, self.edge_length])
        order = np.lexsort((w, v, u))
        u, v, w = u[order], v[order], w[order]
        first = np.ones(u.size, dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        keep = first & (u != v)
        return coo_array((w[keep], (u[keep], v[keep])), shape=(n, n)).tocsr()


def graph_arrays(G: nx.MultiGraph) -> GraphArrays:
    """Build :class:`GraphArrays` from a normalized street graph (see :mod:`patrol.graph`)."""
    node_ids = np.array(sorted(G.nodes), dtype=np.int64)
    index_of = {int(n): i for i, n in enumerate(node_ids)}
    nd = G.nodes
    x = np.array([nd[n]["x"] for n in node_ids], dtype=np.float64)
    y = np.array([nd[n]["y"] for n in node_ids], dtype=np.float64)
    lon = np.array([nd[n]["lon"] for n in node_ids], dtype=np.float64)
    lat = np.array([nd[n]["lat"] for n in node_ids], dtype=np.float64)
    m = G.number_of_edges()
    edge_u = np.empty(m, dtype=np.int64)
    edge_v = np.empty(m, dtype=np.int64)
    length = np.empty(m, dtype=np.float64)
    in_area = np.zeros(m, dtype=bool)
    corridor = np.zeros(m, dtype=bool)
    names = np.empty(m, dtype=object)
    for _, _, d in G.edges(data=True):
        b = d["block"]
        edge_u[b] = index_of[d["u"]]
        edge_v[b] = index_of[d["v"]]
        length[b] = d["length"]
        in_area[b] = d["in_area"]
        corridor[b] = d["corridor"]
        names[b] = d["name"]
    src = np.concatenate([edge_u, edge_v])
    dst = np.concatenate([edge_v, edge_u])
    eid = np.concatenate([np.arange(m), np.arange(m)])
    order = np.lexsort((dst, src))
    src, dst, eid = src[order], dst[order], eid[order]
    indptr = np.zeros(node_ids.size + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr)
    return GraphArrays(
        node_ids=node_ids, index_of=index_of, x=x, y=y, lon=lon, lat=lat,
        edge_u=edge_u, edge_v=edge_v, edge_length=length, edge_in_area=in_area, edge_corridor=corridor,
        edge_name=names, indptr=indptr, indices=dst.astype(np.int64), weights=length[eid],
        csr_edge=eid.astype(np.int64),
    )
