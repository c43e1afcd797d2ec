"""The МТКМ for maps and for people: GeoJSON of sites and links, and a topology picture with the
failed elements and the sites they cut off."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from network_registry.domain.topology import Topology  # noqa: E402


def sites_geojson(rows: list[dict]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": r["id"], "geometry": {"type": "Point", "coordinates": [r["long"], r["lat"]]},
             "properties": {k: r[k] for k in ("name", "kind", "address", "status", "owner_holder_code")}}
            for r in rows if r["lat"] is not None
        ],
    }


def links_geojson(rows: list[dict], site_of_device: dict[str, str], site_points: dict[str, tuple[float, float]]) -> dict:
    """A link's own route when it has one, else a straight line between its two sites."""
    features = []
    for r in rows:
        geometry = r["route"]
        if geometry is None:
            ends = [site_points.get(site_of_device.get(r[end])) for end in ("a_device_id", "b_device_id")]
            if None in ends:
                continue
            geometry = {"type": "LineString", "coordinates": [[e[1], e[0]] for e in ends]}
        features.append({"type": "Feature", "id": r["id"], "geometry": geometry,
                         "properties": {k: r[k] for k in ("name", "status", "fibre_count", "length_m", "a_device_id", "b_device_id")}})
    return {"type": "FeatureCollection", "features": features}


def picture(topology: Topology, site_points: dict[str, tuple[float, float]], failed: list[tuple[str, str]], fmt: str) -> bytes:
    """Devices at their sites' coordinates; failed elements red, the sites they cut off orange."""
    cut_sites: set[str] = set()
    failed_devices, failed_links = set(), set()
    for kind, element in failed:
        cut_sites |= topology.impact(kind, element).sites_cut_off
        (failed_devices if kind == "device" else failed_links).add(element)
    point = {d.id: site_points[d.site_id] for d in topology.devices.values() if d.site_id in site_points}
    fig, ax = plt.subplots(figsize=(9, 8), dpi=100)
    for link in topology.links.values():
        if link.a in point and link.b in point:
            (la, lo), (lb, lob) = point[link.a], point[link.b]
            bad = link.id in failed_links or link.status != "active"
            ax.plot([lo, lob], [la, lb], color="#d62728" if bad else "#9aa7b5", linewidth=2.5 if bad else 0.8,
                    linestyle="--" if link.status != "active" and link.id not in failed_links else "-", zorder=1)
    for device in topology.devices.values():
        if device.id not in point:
            continue
        lat, long = point[device.id]
        if device.id in failed_devices or device.status == "failed":
            colour, size = "#d62728", 90
        elif device.site_id in cut_sites:
            colour, size = "#ff7f0e", 60
        elif device.role == "core":
            colour, size = "#1f5fa8", 120
        else:
            colour, size = "#4c9f70", 25
        ax.scatter([long], [lat], s=size, color=colour, zorder=2, edgecolors="white", linewidths=0.5)
    ax.set_title(f"МТКМ: {len(topology.devices)} пристроїв, {len(topology.links)} ліній"
                 + (f"; без зв'язку: {len(cut_sites)} об'єктів" if failed else ""), fontsize=10)
    ax.set_xlabel("довгота")
    ax.set_ylabel("широта")
    ax.set_aspect(1 / 0.63)  # degrees of longitude are shorter at Sumy's latitude
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=c, label=t) for c, t in (
        ("#1f5fa8", "ядро"), ("#4c9f70", "працює"), ("#d62728", "відмова"), ("#ff7f0e", "відрізано від ядра"))]
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return out.getvalue()
