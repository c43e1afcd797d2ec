"""What fails when a node fails: reachability of the МТКМ's sites from its core. No I/O.

The graph: devices are nodes, fibre links are edges (parallel links allowed); only active
devices and links carry traffic. The core is the set of active `core` devices, joined to one
virtual root. One depth-first search from that root (Tarjan's low-points) gives, for every device
and link, the sites that would lose every path to the core if it failed:

- a link is a bridge when the child side's low-point is below nothing above it; failing, it cuts
  off exactly the child's DFS subtree;
- a device separates the subtrees of those children whose low-point does not reach above it.

So each query after a topology change is a slice of the DFS order, not a new search; the search
itself is O(devices + links) and is repeated only when the topology changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

ROOT = "\x00core"


@dataclass(frozen=True)
class Device:
    id: str
    site_id: str
    role: str
    status: str


@dataclass(frozen=True)
class Link:
    id: str
    a: str  # device id
    b: str
    length_m: float
    status: str


@dataclass(frozen=True)
class Impact:
    element_kind: str
    element_id: str
    devices_cut_off: frozenset[str]
    sites_cut_off: frozenset[str]


@dataclass
class Topology:
    devices: dict[str, Device]
    links: dict[str, Link]
    _graph: nx.MultiGraph | None = field(default=None, init=False, repr=False)
    _index: _CutIndex | None = field(default=None, init=False, repr=False)
    _reachable_by_site: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)

    # -- the working network -----------------------------------------------------------------

    def carries_traffic(self, device_id: str) -> bool:
        d = self.devices.get(device_id)
        return d is not None and d.status == "active"

    @property
    def graph(self) -> nx.MultiGraph:
        if self._graph is None:
            g = nx.MultiGraph()
            g.add_nodes_from(d for d in self.devices if self.carries_traffic(d))
            for link in self.links.values():
                if link.status == "active" and self.carries_traffic(link.a) and self.carries_traffic(link.b):
                    g.add_edge(link.a, link.b, key=link.id, length=link.length_m)
            self._graph = g
        return self._graph

    @property
    def core(self) -> list[str]:
        return [d.id for d in self.devices.values() if d.role == "core" and d.status == "active"]

    def sites_of(self, device_ids) -> dict[str, list[str]]:
        by_site: dict[str, list[str]] = {}
        for device_id in device_ids:
            by_site.setdefault(self.devices[device_id].site_id, []).append(device_id)
        return by_site

    # -- answers -----------------------------------------------------------------------------

    @property
    def index(self) -> _CutIndex:
        if self._index is None:
            working = [(lk.id, lk.a, lk.b) for lk in self.links.values()
                       if lk.status == "active" and self.carries_traffic(lk.a) and self.carries_traffic(lk.b)]
            nodes = [d for d in self.devices if self.carries_traffic(d)]
            self._index = _CutIndex.build(nodes, working, self.core)
            # Which reachable devices each site has: a site is lost when all of them are.
            self._reachable_by_site = self.sites_of(self._index.order[1:])
        return self._index

    def reachable(self) -> set[str]:
        return set(self.index.order[1:])

    def impact(self, element_kind: str, element_id: str) -> Impact:
        """Sites that lose every path to the core if this device or link fails (now)."""
        index = self.index
        if element_kind == "device":
            cut = set(index.cut_by_device(element_id))
            if element_id in index.position:
                cut.add(element_id)
        else:
            cut = set(index.cut_by_link(element_id))
        return Impact(element_kind, element_id, frozenset(cut), frozenset(self._sites_lost(cut)))

    def _sites_lost(self, lost_devices: set[str]) -> set[str]:
        """A site is lost when every device of it that reaches the core now is in `lost_devices`.
        Only the sites of the lost devices are looked at: the cost follows the answer's size."""
        self.index  # noqa: B018 - builds _reachable_by_site
        candidates = {self.devices[d].site_id for d in lost_devices if d in self.devices}
        return {site for site in candidates
                if all(d in lost_devices for d in self._reachable_by_site.get(site, ()))}

    def single_points_of_failure(self) -> dict[str, list[str]]:
        return {"devices": sorted(self.index.articulation), "links": sorted(self.index.bridges)}

    def single_homed_sites(self) -> set[str]:
        """Sites that one failure on their way to the core would cut off: a link, or a device that
        is neither the site's own nor a core device (losing a core is a risk of its own, listed
        among the single points of failure when there is only one)."""
        sites: set[str] = set()
        for device_id in self.index.articulation:
            if self.devices[device_id].role == "core":
                continue
            own = self.devices[device_id].site_id
            sites |= {s for s in self._sites_lost(set(self.index.cut_by_device(device_id)) | {device_id}) if s != own}
        for link_id in self.index.bridges:
            sites |= self._sites_lost(set(self.index.cut_by_link(link_id)))
        return sites

    def path(self, from_site: str, to_site: str, weight: str | None = "length") -> list[str] | None:
        """Device path between two sites, shortest by fibre length (or by hops with weight=None)."""
        sources = [d.id for d in self.devices.values() if d.site_id == from_site and d.id in self.graph]
        targets = {d.id for d in self.devices.values() if d.site_id == to_site and d.id in self.graph}
        if not sources or not targets:
            return None
        simple = nx.Graph()
        for a, b, data in self.graph.edges(data=True):  # parallel links: the shorter counts
            if not simple.has_edge(a, b) or simple[a][b]["length"] > data["length"]:
                simple.add_edge(a, b, length=data["length"])
        simple.add_nodes_from(self.graph.nodes)
        try:
            lengths, paths = nx.multi_source_dijkstra(simple, sources, weight=weight) if weight else (
                None, nx.multi_source_dijkstra_path(simple, sources, weight=lambda *_: 1))
        except nx.NetworkXNoPath:
            return None
        best = [t for t in targets if t in paths]
        if not best:
            return None
        target = min(best, key=lambda t: (lengths[t] if lengths else len(paths[t])))
        return paths[target]


def naive_impact(topology: Topology, element_kind: str, element_id: str) -> frozenset[str]:
    """The obvious way, for the benchmark's baseline and the tests' cross-check: copy the graph,
    remove the element, and see which sites still reach the core."""
    g = topology.graph.copy()
    before = _reachable_from_core(g, topology.core)
    if element_kind == "device":
        if element_id in g:
            g.remove_node(element_id)
    else:
        for a, b, key in list(g.edges(keys=True)):
            if key == element_id:
                g.remove_edge(a, b, key=key)
    after = _reachable_from_core(g, [c for c in topology.core if c in g])
    lost = before - after
    by_site = topology.sites_of(before)
    return frozenset(site for site, devices in by_site.items() if all(d in lost for d in devices))


def _reachable_from_core(g: nx.MultiGraph, core: list[str]) -> set[str]:
    seen: set[str] = set()
    for c in core:
        if c not in seen:
            seen |= nx.node_connected_component(g, c)
    return seen


@dataclass
class _CutIndex:
    order: list[str]  # DFS preorder from the virtual root (order[0] is the root)
    position: dict[str, int]
    last: dict[str, int]  # position of the last node in each node's DFS subtree
    separated: dict[str, list[str]]  # device -> children whose subtrees it alone connects
    bridge_child: dict[str, str]  # link id -> the child end of that bridge

    @property
    def articulation(self) -> list[str]:
        return [d for d, children in self.separated.items() if children]

    @property
    def bridges(self) -> list[str]:
        return list(self.bridge_child)

    def _subtree(self, node: str) -> list[str]:
        return self.order[self.position[node]: self.last[node] + 1]

    def cut_by_device(self, device_id: str) -> list[str]:
        return [d for child in self.separated.get(device_id, ()) for d in self._subtree(child)]

    def cut_by_link(self, link_id: str) -> list[str]:
        child = self.bridge_child.get(link_id)
        return self._subtree(child) if child else []

    @classmethod
    def build(cls, nodes: list[str], edges: list[tuple[str, str, str]], core: list[str]) -> _CutIndex:
        adjacency: dict[str, list[tuple[str, str]]] = {n: [] for n in nodes}
        for key, a, b in edges:
            if a == b:
                continue
            adjacency[a].append((b, key))
            adjacency[b].append((a, key))
        adjacency[ROOT] = [(c, f"\x00root-{c}") for c in core]
        for c in core:
            adjacency[c].append((ROOT, f"\x00root-{c}"))

        order: list[str] = []
        position: dict[str, int] = {}
        low: dict[str, int] = {}
        last: dict[str, int] = {}
        separated: dict[str, list[str]] = {}
        bridge_child: dict[str, str] = {}
        # Iterative DFS (a recursive one would overflow on long rings): (node, edge in, neighbour iterator)
        position[ROOT] = low[ROOT] = 0
        order.append(ROOT)
        stack = [(ROOT, None, iter(adjacency[ROOT]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for other, key in neighbours:
                if key == via:
                    continue  # the edge we came in by (a parallel link is another key, and counts)
                if other in position:
                    low[node] = min(low[node], position[other])
                else:
                    position[other] = low[other] = len(order)
                    order.append(other)
                    stack.append((other, key, iter(adjacency[other])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            last[node] = len(order) - 1
            if stack:
                parent, _, _ = stack[-1]
                low[parent] = min(low[parent], low[node])
                if parent != ROOT and low[node] >= position[parent]:
                    separated.setdefault(parent, []).append(node)
                if low[node] > position[parent] and via is not None and not via.startswith("\x00"):
                    bridge_child[via] = node
        return cls(order, position, last, separated, bridge_child)
