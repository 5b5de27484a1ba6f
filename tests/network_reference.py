"""networkx references for walking distances between points on blocks (shared by the dispatch tests)."""

from __future__ import annotations

import networkx as nx


def nx_point_distance(G: nx.MultiGraph, p1: tuple[int, float], p2: tuple[int, float]) -> float:
    """Reference: split the blocks at both points into new nodes and ask networkx."""
    H = nx.Graph()
    edges = {d["block"]: d for _, _, d in G.edges(data=True)}
    cuts: dict[int, list[tuple[float, str]]] = {}
    for name, (b, o) in (("P1", p1), ("P2", p2)):
        cuts.setdefault(b, []).append((min(max(o, 0.0), edges[b]["length"]), name))

    def add(a, b, w):
        if H.has_edge(a, b):
            w = min(w, H[a][b]["weight"])
        H.add_edge(a, b, weight=w)

    for b, d in edges.items():
        stops = [(0.0, d["u"])] + sorted(cuts.get(b, [])) + [(d["length"], d["v"])]
        for (o0, n0), (o1, n1) in zip(stops, stops[1:], strict=False):
            if n0 == n1:
                continue
            add(n0, n1, o1 - o0)
    if p1 == p2:
        return 0.0
    return nx.dijkstra_path_length(H, "P1", "P2", weight="weight")
