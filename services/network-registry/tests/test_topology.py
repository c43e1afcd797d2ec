"""Graph answers on small known topologies, and the fast index against the naive way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from network_registry.domain.topology import Device, Link, Topology, naive_impact


def net(devices: dict[str, tuple[str, str]], links: list[tuple[str, str, str]], down: set[str] = frozenset()) -> Topology:
    """devices: id -> (site, role); links: (id, a, b)."""
    return Topology(
        devices={d: Device(d, site, role, "failed" if d in down else "active") for d, (site, role) in devices.items()},
        links={lid: Link(lid, a, b, 100.0, "failed" if lid in down else "active") for lid, a, b in links},
    )


RING = net(
    {"core": ("city-hall", "core"), "a": ("school-1", "access"), "b": ("school-2", "access"), "c": ("kindergarten-3", "access")},
    [("l1", "core", "a"), ("l2", "a", "b"), ("l3", "b", "c"), ("l4", "c", "core")],
)
STAR = net(
    {"core": ("city-hall", "core"), "hub": ("cabinet-1", "distribution"), "x": ("school-1", "access"), "y": ("cnap", "access")},
    [("s0", "core", "hub"), ("s1", "hub", "x"), ("s2", "hub", "y")],
)


def test_a_ring_survives_any_one_cut():
    for link in ("l1", "l2", "l3", "l4"):
        assert RING.impact("fibre_link", link).sites_cut_off == frozenset()
    assert RING.impact("device", "a").sites_cut_off == {"school-1"}  # only its own site
    # One core device: it is itself a single point of failure, but no site is single-homed.
    assert RING.single_points_of_failure() == {"devices": ["core"], "links": []}
    assert RING.single_homed_sites() == set()


def test_a_star_loses_its_leaves():
    assert STAR.impact("fibre_link", "s1").sites_cut_off == {"school-1"}
    assert STAR.impact("device", "hub").sites_cut_off == {"cabinet-1", "school-1", "cnap"}
    assert STAR.impact("fibre_link", "s0").sites_cut_off == {"cabinet-1", "school-1", "cnap"}
    spof = STAR.single_points_of_failure()
    assert spof["devices"] == ["core", "hub"] and set(spof["links"]) == {"s0", "s1", "s2"}
    assert STAR.single_homed_sites() == {"cabinet-1", "school-1", "cnap"}


def test_two_parallel_fibres_are_no_single_point_of_failure():
    twin = net({"core": ("hall", "core"), "x": ("school", "access")}, [("f1", "core", "x"), ("f2", "core", "x")])
    assert twin.impact("fibre_link", "f1").sites_cut_off == frozenset()
    assert twin.single_points_of_failure()["links"] == []


def test_a_site_with_two_uplinked_devices_survives_one_of_them():
    t = net({"core": ("hall", "core"), "d1": ("dc", "distribution"), "d2": ("dc", "distribution"), "x": ("school", "access")},
            [("a", "core", "d1"), ("b", "core", "d2"), ("c", "d1", "x")])
    assert t.impact("device", "d1").sites_cut_off == {"school"}  # the data centre still has d2
    assert t.impact("fibre_link", "b").sites_cut_off == frozenset()


def test_failed_elements_carry_nothing_and_path_follows_fibre_length():
    down = net({"core": ("hall", "core"), "x": ("school", "access"), "y": ("cnap", "access")},
               [("l1", "core", "x"), ("l2", "x", "y"), ("l3", "core", "y")], down={"l3"})
    assert down.impact("device", "x").sites_cut_off == {"school", "cnap"}
    assert down.path("hall", "cnap") == ["core", "x", "y"]
    assert RING.path("school-1", "kindergarten-3", weight=None) in (["a", "b", "c"], ["a", "core", "c"])
    assert STAR.path("school-1", "nowhere") is None


def test_two_cores_back_each_other_up():
    t = net({"c1": ("hall", "core"), "c2": ("dc", "core"), "x": ("school", "access")},
            [("a", "c1", "x"), ("b", "c2", "x")])
    assert t.impact("device", "c1").sites_cut_off == {"hall"}
    assert t.impact("fibre_link", "a").sites_cut_off == frozenset()


@st.composite
def networks(draw):
    n = draw(st.integers(2, 14))
    roles = draw(st.lists(st.sampled_from(["core", "access", "access", "distribution"]), min_size=n, max_size=n))
    devices = {f"d{i}": (f"s{draw(st.integers(0, max(1, n // 2)))}", roles[i]) for i in range(n)}
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    links = [(f"l{k}", f"d{a}", f"d{b}") for k, (a, b) in enumerate(pairs) if a != b]
    down = draw(st.sets(st.sampled_from([f"d{i}" for i in range(n)] + [lid for lid, _, _ in links] or ["none"]), max_size=2))
    return net(devices, links, down)


@settings(max_examples=300, deadline=None)
@given(topology=networks(), data=st.data())
def test_the_index_answers_exactly_what_removing_and_recomputing_answers(topology, data):
    elements = [("device", d) for d in topology.devices] + [("fibre_link", lid) for lid in topology.links]
    kind, element = data.draw(st.sampled_from(elements))
    assert topology.impact(kind, element).sites_cut_off == naive_impact(topology, kind, element)
