"""Read the book's raw tables from ``data/datapackage.json``: validated, typed, with sources.

Every table is a resource of one Frictionless Data package: its schema gives each column
a type and constraints, and every row names its source (a key of ``references.bib``) and
a locator (page, footnote or quote). :func:`table` returns a pandas DataFrame, or raises
one :class:`DataError` naming the file, the row, the field and what was expected. It also
returns what it read (the data file, its schema and the package descriptor, with their
checksums): a chapter keeps those as the inputs its outputs depend on. Nothing here keeps
state between calls.
"""

import hashlib
import json
import math
from decimal import Decimal
from pathlib import Path

import frictionless
import pandas as pd

from borderbook import bib, paths


class DataError(Exception):
    """Bad input in ``data/``: the message says what, where, and how to fix it."""


def table(name: str, datapackage: Path | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Resource ``name`` as a typed DataFrame indexed by its primary key (``attrs["resource"]``
    names it), and ``{file relative to the root: sha256}`` of every file it was read from."""
    datapackage = Path(datapackage or paths.DATAPACKAGE)
    descriptor, resource = _resource(datapackage, name)
    where = Path(datapackage.parent, resource.path)
    raw = _bytes(where, name)
    if not raw.decode("utf-8").strip().count("\n"):
        raise DataError(f"{_rel(where)}: only a header row; the table needs data rows (one per figure, "
                        "each with its source and locator).")
    report = resource.validate()
    if not report.valid:
        raise DataError(_describe(where, report))
    with resource:
        rows = [row.to_dict() for row in resource.row_stream]
    frame = pd.DataFrame(rows, columns=resource.schema.field_names)
    _check_sources(where, frame)
    for field in resource.schema.fields:
        if field.type == "number":
            _check_finite(where, rows, field.name)
            frame[field.name] = frame[field.name].map(_plain_float).astype("float64")
        elif field.type == "date":
            frame[field.name] = pd.to_datetime(frame[field.name])
    key = resource.schema.primary_key
    if len(key) != 1:
        raise DataError(f"{_rel(datapackage)}: resource '{name}' needs a one-column primary key.")
    frame = frame.set_index(key[0], drop=False)
    frame.attrs["resource"] = name
    reads = {_rel(datapackage): descriptor, _rel(where): _sha(raw)}
    schema = resource.to_descriptor().get("schema")
    if isinstance(schema, str):
        reads[_rel(datapackage.parent / schema)] = _sha((datapackage.parent / schema).read_bytes())
    return frame, reads


def geometry(name: str, datapackage: Path | None = None) -> tuple[dict, str, dict[str, str]]:
    """The features of GeoJSON resource ``name`` as ``{id: (properties, shapely geometry)}``, the
    resource's source key, and the files read.

    Map geometry is not a table, so Frictionless cannot check its rows; this checks that it
    is GeoJSON, that every feature has an ``id`` property, and that the resource's ``source``
    is a key of references.bib. Features are citable rows (``name:id``) with that source.
    """
    import shapely.geometry

    datapackage = Path(datapackage or paths.DATAPACKAGE)
    descriptor, resource = _resource(datapackage, name)
    where = Path(datapackage.parent, resource.path)
    source = resource.custom.get("source")
    if source not in bib.keys():
        raise DataError(f"{_rel(datapackage)}: resource '{name}' needs a 'source' key of references.bib.")
    raw = _bytes(where, name)
    try:
        collection = json.loads(raw)
    except ValueError as error:
        raise DataError(f"{_rel(where)}: not valid GeoJSON ({error}).") from None
    features = collection.get("features", [collection] if collection.get("type") == "Feature" else [])
    shapes = {}
    for number, feature in enumerate(features, start=1):
        feature_id = feature.get("properties", {}).get("id")
        if not feature_id:
            raise DataError(f"{_rel(where)}, feature {number}: no 'id' property.")
        shapes[str(feature_id)] = (feature["properties"], shapely.geometry.shape(feature["geometry"]))
    return shapes, source, {_rel(datapackage): descriptor, _rel(where): _sha(raw)}


def _bytes(where: Path, name: str) -> bytes:
    """The file's bytes, or a message saying it is missing, empty or not UTF-8."""
    try:
        raw = where.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{_rel(where)}: file missing (resource '{name}' of data/datapackage.json); "
                        "restore it or fix the resource's 'path'.") from None
    if not raw.strip():
        raise DataError(f"{_rel(where)}: file is empty; it needs a header row and data rows.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(f"{_rel(where)}, line {line}: bytes that are not UTF-8 "
                        f"({raw[error.start:error.start + 1]!r}); save the file as UTF-8.") from None
    return raw


def _resource(datapackage: Path, name: str) -> tuple[str, frictionless.Resource]:
    """The checksum of the package descriptor, and one of its resources; or say what is wrong."""
    try:
        raw = datapackage.read_bytes()
        descriptor = json.loads(raw)
    except FileNotFoundError:
        raise DataError(f"{_rel(datapackage)}: not found.") from None
    except UnicodeDecodeError:
        raise DataError(f"{_rel(datapackage)}: bytes that are not UTF-8; save it as UTF-8.") from None
    except json.JSONDecodeError as error:
        raise DataError(f"{_rel(datapackage)}, line {error.lineno}, column {error.colno}: invalid JSON "
                        f"({error.msg}); fix the descriptor (a stray or missing comma?).") from None
    try:
        package = frictionless.Package(descriptor, basepath=str(datapackage.parent))
    except frictionless.FrictionlessException as error:
        raise DataError(f"{_rel(datapackage)}: invalid data package: {error.error.message}") from None
    if not package.has_resource(name):
        known = ", ".join(sorted(package.resource_names))
        raise DataError(f"{_rel(datapackage)}: no resource named '{name}' (known: {known}); "
                        "declare it, or load one of those.")
    schema = next(r for r in descriptor["resources"] if r.get("name") == name).get("schema")
    if isinstance(schema, str):   # Frictionless would blame the data file for a broken schema
        _check_json(datapackage.parent / schema, "schema")
    return _sha(raw), package.get_resource(name)


def _check_json(path: Path, what: str) -> None:
    """A JSON file a resource refers to parses; or say where it does not."""
    try:
        json.loads(path.read_bytes())
    except FileNotFoundError:
        raise DataError(f"{_rel(path)}: {what} file missing; restore it or fix the resource's "
                        f"'{what}' in data/datapackage.json.") from None
    except UnicodeDecodeError:
        raise DataError(f"{_rel(path)}: bytes that are not UTF-8; save it as UTF-8.") from None
    except json.JSONDecodeError as error:
        raise DataError(f"{_rel(path)}, line {error.lineno}, column {error.colno}: invalid JSON "
                        f"({error.msg}); fix the {what} (a stray or missing comma?).") from None


def _describe(where: Path, report: frictionless.Report) -> str:
    """One message per invalid file: the first errors with row, field and expectation."""
    errors = report.flatten(["rowNumber", "fieldName", "type", "note", "message"])
    lines = [f"{_rel(where)}: {len(errors)} problem(s) against its schema (data/datapackage.json)"]
    for row_number, field, kind, note, message in errors[:5]:
        at = f"row {row_number}" if row_number else "header"
        at += f", field '{field}'" if field else ""
        lines.append(f"  {at}: {kind}: {note or message}")
    lines.append(f"  Correct {_rel(where)} at the place named above, or the schema if it is wrong.")
    return "\n".join(lines)


def _check_sources(where: Path, frame: pd.DataFrame) -> None:
    """Every row must cite a key of references.bib in its ``source`` column."""
    if "source" not in frame:
        raise DataError(f"{_rel(where)}: no 'source' column; every row must name its source.")
    known = bib.keys()
    for number, key in enumerate(frame["source"], start=2):
        if key not in known:
            raise DataError(f"{_rel(where)}, row {number}, field 'source': '{key}' is not a key of "
                            "references.bib; add the entry or correct the key.")


def _check_finite(where: Path, rows: list[dict], column: str) -> None:
    """NaN and infinities pass Frictionless's number type; no figure of the book is either
    (an empty cell, None here, is a missing value the schema allows or refuses)."""
    for number, value in enumerate((row[column] for row in rows), start=2):
        if value is not None and not math.isfinite(value):
            raise DataError(f"{_rel(where)}, row {number}, field '{column}': {value!r} is not a finite "
                            "number; write the figure the source gives (leave the cell empty if it "
                            "gives none).")


def _plain_float(value: object) -> float | None:
    """Frictionless gives Decimal; the book computes with plain floats."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _rel(path: Path) -> str:
    """A path as the user sees it from the project root."""
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)
