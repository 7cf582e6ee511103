"""Prepare the public border geometry used by the book.

Why: the book's map and the geodesic-length computation need the outlines of
Afghanistan and Tajikistan and their shared border. The data is fetched once,
at data-preparation time, and committed under ``data/geo/``; the book build
never touches the network.

Run (from the repository root)::

    .venv/bin/python tools/prepare_geo.py

It runs ``npm pack world-atlas@2.0.2`` into a temporary directory, decodes
``countries-10m.json`` (TopoJSON) with the standard library and shapely, and
writes, with deterministic bytes (re-runs are byte-identical):

* ``data/geo/countries.geojson`` - countries touching lon 60-80, lat 33-42,
  clipped to that box;
* ``data/geo/border.geojson`` - the Afghanistan-Tajikistan border LineString;
* ``data/geo/README.md`` - provenance (source, sha256, command, date);
* ``data/geo/LICENSE-world-atlas.txt`` - the package licence.

Licence: world-atlas is ISC-licensed (Mike Bostock); its data derives from
Natural Earth (1:10m Admin 0 countries), which is in the public domain.
Finally it prints the border's geodesic length on WGS84 and its vertex count.
"""
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Polygon, box, mapping
from shapely.ops import linemerge

PACKAGE = "world-atlas@2.0.2"
PREPARED = "2026-11-29"
BBOX = (60.0, 33.0, 80.0, 42.0)  # lon_min, lat_min, lon_max, lat_max
AFG, TJK = "004", "762"
OUT = Path(__file__).resolve().parent.parent / "data" / "geo"


def fetch_package(tmp):
    """Run ``npm pack`` into *tmp*; return (topology, licence text, sha256, integrity)."""
    res = subprocess.run(["npm", "pack", PACKAGE, "--json", "--pack-destination", tmp],
                         check=True, capture_output=True, text=True, cwd=tmp)
    info = json.loads(res.stdout)[0]
    tarball = Path(tmp) / info["filename"]
    sha256 = hashlib.sha256(tarball.read_bytes()).hexdigest()
    with tarfile.open(tarball, "r:gz") as tar:
        topo = json.load(tar.extractfile("package/countries-10m.json"))
        licence = tar.extractfile("package/LICENSE").read().decode("utf-8")
    return topo, licence, sha256, info.get("integrity", "")


def decode_arcs(topo):
    """Delta-decode the quantized arcs into lists of (lon, lat) tuples."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring(indices, arcs):
    """Join arcs (``~i`` = arc i reversed) into one closed ring of coordinates."""
    pts = []
    for i in indices:
        seg = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(seg if not pts else seg[1:])
    return pts


def geometry(obj, arcs):
    """Build a shapely Polygon or MultiPolygon from a TopoJSON geometry object."""
    parts = [obj["arcs"]] if obj["type"] == "Polygon" else obj["arcs"]
    polys = [[c for c in (ring(r, arcs) for r in p) if len(c) >= 4] for p in parts]
    polys = [Polygon(p[0], p[1:]) for p in polys if p]  # drop degenerate slivers
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def arc_ids(obj):
    """Return the set of (unsigned) arc indices used by a geometry object."""
    flat = obj["arcs"] if obj["type"] == "Polygon" else [r for p in obj["arcs"] for r in p]
    return {i if i >= 0 else ~i for r in flat for i in r}


def rounded(coords):
    """Round nested coordinate lists to 5 decimals (fixed precision)."""
    if isinstance(coords[0], (int, float)):
        return [round(float(c), 5) for c in coords]
    return [rounded(c) for c in coords]


def feature(geom, props):
    """Return a GeoJSON Feature dict with rounded coordinates."""
    g = mapping(geom)
    return {"type": "Feature", "properties": props,
            "geometry": {"type": g["type"], "coordinates": rounded(g["coordinates"])}}


def write(name, data):
    """Write text, or a dict as sorted compact JSON, to data/geo/<name> with a final newline."""
    if isinstance(data, dict):
        data = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    (OUT / name).write_text(data.rstrip("\n") + "\n", encoding="utf-8", newline="\n")


def main():
    """Fetch, decode, clip, write outputs and print the border length."""
    with tempfile.TemporaryDirectory() as tmp:
        topo, licence, sha256, integrity = fetch_package(tmp)
    arcs = decode_arcs(topo)
    objs = {g.get("id"): g for g in topo["objects"]["countries"]["geometries"]}
    clip, feats = box(*BBOX), []  # id-less areas (e.g. Siachen Glacier) are skipped
    for iso in sorted(k for k in objs if k and objs[k]["type"] in ("Polygon", "MultiPolygon")):
        geom = geometry(objs[iso], arcs)
        if geom.intersects(clip):
            props = {"id": iso, "iso_n3": iso, "name": objs[iso]["properties"]["name"]}
            feats.append(feature(shapely.clip_by_rect(geom, *BBOX), props))
    OUT.mkdir(parents=True, exist_ok=True)
    write("countries.geojson", {"type": "FeatureCollection", "features": feats})
    shared = sorted(arc_ids(objs[AFG]) & arc_ids(objs[TJK]))
    line = linemerge([LineString(arcs[i]) for i in shared])
    border = feature(line, {"id": "af-tj", "from": AFG, "to": TJK, "scale": "10m",
                            "source": "worldatlas2020"})
    write("border.geojson", border)
    write("LICENSE-world-atlas.txt", licence.rstrip("\n")
          + "\n\nNote: the Natural Earth data from which world-atlas is derived is in the public domain.")
    names = ", ".join(f["properties"]["name"] for f in feats)
    write("README.md", f"""# data/geo

Border geometry for the book's map and geodesic-length computation.

- `countries.geojson`: countries touching lon 60-80, lat 33-42 ({names}),
  properties `id` (= `iso_n3`), `iso_n3`, `name`, clipped to that box; coordinates rounded to 5 decimals.
- `border.geojson`: the Afghanistan (004) - Tajikistan (762) shared border as one
  LineString with `id` `af-tj` (the TopoJSON arcs shared by both countries, merged).
- `LICENSE-world-atlas.txt`: the world-atlas licence (ISC), verbatim, plus a note.

Source: npm package `{PACKAGE}`, file `countries-10m.json` (Natural Earth 1:10m
Admin 0 countries, public domain; world-atlas code ISC).
Tarball sha256: `{sha256}`
npm integrity: `{integrity}`

Produced with `.venv/bin/python tools/prepare_geo.py` (which runs
`npm pack {PACKAGE}`). Prepared: {PREPARED}.
""")
    out_line = LineString(border["geometry"]["coordinates"])
    km = Geod(ellps="WGS84").geometry_length(out_line) / 1000
    print(f"border: {km:.1f} km (WGS84 geodesic), {len(out_line.coords)} vertices, "
          f"type {line.geom_type}, ends {out_line.coords[0]} / {out_line.coords[-1]}")


if __name__ == "__main__":
    main()
