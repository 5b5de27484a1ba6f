"""Builders of the normalized street graph, one module per data source."""

from patrol.sources.centerline import graph_from_centerline
from patrol.sources.facts import graph_from_facts, write_facts
from patrol.sources.osm import businesses_from_osm_features, graph_from_osm_xml, graph_from_osmnx

__all__ = [
    "businesses_from_osm_features",
    "graph_from_centerline",
    "graph_from_facts",
    "graph_from_osm_xml",
    "graph_from_osmnx",
    "write_facts",
]
