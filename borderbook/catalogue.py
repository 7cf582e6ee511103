"""The data catalogue: what each table of ``data/`` holds, written from the package itself.

The appendix "The data" renders this (directive ``data-catalogue`` of
:mod:`borderbook.sphinxext`): for every resource of ``datapackage.json``, its title, file,
size, checksum, licence, the sources its rows cite, and its columns from the schema, then
the package's licence. It runs inside Sphinx whenever a table changes, so it reads the
files with the standard library only; validating them is the chapters' work
(:func:`borderbook.data.table`), and a build with a bad table stops there.
"""

import csv
import json
from pathlib import Path

from borderbook import freshness, paths


def describe() -> tuple[list[str], list[Path]]:
    """The catalogue as MyST Markdown lines (one section per table), and the files it read."""
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    lines, read = [], [paths.DATAPACKAGE]
    described = {}   # schema file -> name of the first table described with it
    for resource in package["resources"]:
        name, file = resource["name"], paths.DATA / resource["path"]
        if resource["format"] == "csv":
            with file.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
            sources, size = sorted({row["source"] for row in rows}), f"{len(rows)} rows"
        else:
            collection = json.loads(file.read_text(encoding="utf-8"))   # or a single Feature
            features = collection["features"] if "features" in collection else [collection]
            sources, size = [resource["source"]], f"{len(features)} features"
        where = file.relative_to(paths.ROOT)
        lines += [f"## {resource['title']}", "",
                  f"Table `{name}`: {{download}}`{where} <../{where}>`, {size}, "
                  f"SHA-256 `{freshness.checksum(file)[:12]}`.", ""]
        if "licenses" in resource:
            lines += [f"Licence: {_licences(resource['licenses'])}.", ""]
        lines += ["Sources: " + ", ".join(f"{{cite:t}}`{key}`" for key in sources) + ".", ""]
        read.append(file)
        schema = resource.get("schema")   # a file of data/schemas/, shared by tables of one kind
        if schema is None:
            lines += ["GeoJSON features, each with an `id` property: the map's geometry, prepared "
                      "by `tools/prepare_geo.py`.", ""]
        elif schema in described:
            lines += [f"Columns as in table `{described[schema]}` above (`data/{schema}`).", ""]
        else:
            described[schema] = name
            read.append(paths.DATA / schema)
            lines += _columns(json.loads((paths.DATA / schema).read_text(encoding="utf-8"))) + [""]
    lines += ["## Licence", "", f"The tables are published under {_licences(package['licenses'])}, "
              "except where a table above names its own licence.", ""]
    return lines, read


def _licences(items: list[dict]) -> str:
    return ", ".join(item.get("title") or item["name"] for item in items)


def _columns(schema: dict) -> list[str]:
    """A schema's columns as a table: name, type, what it holds, whether it is required."""
    lines = ["```{list-table}", ":header-rows: 1", ":widths: 22 13 65", "",
             "* - Column", "  - Type", "  - Holds"]
    for field in schema["fields"]:
        required = " Required." if field.get("constraints", {}).get("required") else ""
        holds = (field.get("description", "") + required).strip() or "—"
        lines += [f"* - `{field['name']}`", f"  - {field['type']}", f"  - {holds}"]
    return lines + ["```"]
