"""Load the book's raw tables from ``data/datapackage.json``, validated, typed, with sources.

Every table is a resource of one Frictionless Data package: its schema gives each
column a type and constraints, and every row names its source (a key of
``references.bib``) and a locator (page, footnote or quote). A chapter calls
:func:`load` and gets a pandas DataFrame, or one clear message naming the file,
the row, the field and what was expected. Each load is recorded in :data:`READS`
so that the publication can say which inputs, at which checksum, a chapter read.
"""

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import frictionless
import pandas as pd

from borderbook import bib, paths

#: resource name -> {"path": file relative to the root, "sha256": checksum}, for every
#: resource loaded in this process: the inputs a chapter depends on
READS: dict[str, dict[str, str]] = {}
#: resource name -> {row id: {"source": bib key, "register": paper statement id or None}},
#: so that a published number can cite its rows and the paper's statements they bear on
ROWS: dict[str, dict[str, dict]] = {}


class DataError(Exception):
    """Bad input in ``data/``: the message says what, where, and how to fix it."""


def load(name: str, datapackage: Path | None = None) -> pd.DataFrame:
    """Return resource ``name`` as a typed DataFrame indexed by its primary key.

    Raises :class:`DataError` for an unknown resource, a missing or unreadable
    file, a row that breaks the schema, or a ``source`` that is not in
    ``references.bib``.
    """
    datapackage = Path(datapackage or paths.DATAPACKAGE)
    resource = _resource(datapackage, name)
    where = Path(datapackage.parent, resource.path)
    if not where.is_file():
        raise DataError(f"{_rel(where)}: file missing (resource '{name}' of {_rel(datapackage)}); "
                        "restore it or fix the resource's 'path'.")
    raw = where.read_bytes()
    if not raw.strip():
        raise DataError(f"{_rel(where)}: file is empty; it needs a header row and data rows.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(f"{_rel(where)}, line {line}: bytes that are not UTF-8; "
                        "save the file as UTF-8.") from None
    report = resource.validate()
    if not report.valid:
        raise DataError(_describe(where, report))
    with resource:
        rows = [row.to_dict() for row in resource.row_stream]
    frame = pd.DataFrame(rows, columns=resource.schema.field_names)
    _check_sources(where, frame)
    for field in resource.schema.fields:
        if field.type == "number":
            frame[field.name] = frame[field.name].map(_plain_float).astype("float64")
        elif field.type == "date":
            frame[field.name] = pd.to_datetime(frame[field.name])
    _record(name, where, raw)
    key = resource.schema.primary_key
    if len(key) != 1:
        raise DataError(f"{_rel(datapackage)}: resource '{name}' needs a one-column primary key.")
    registers = frame["register"] if "register" in frame else [None] * len(frame)
    ROWS[name] = {str(row_id): {"source": source, "register": None if pd.isna(register) else register}
                  for row_id, source, register in zip(frame[key[0]], frame["source"], registers)}
    frame = frame.set_index(key[0], drop=False)
    frame.attrs["resource"] = name
    return frame


def geometry(name: str, datapackage: Path | None = None) -> dict:
    """Return the features of GeoJSON resource ``name`` as ``{id: (properties, shapely geometry)}``.

    Map geometry is not a table, so Frictionless cannot check its rows; this checks
    that it is GeoJSON, that every feature has an ``id`` property, and that the
    resource's ``source`` is a key of references.bib. Features become citable rows
    (``name:id``) with that source, like table rows.
    """
    import shapely.geometry

    datapackage = Path(datapackage or paths.DATAPACKAGE)
    resource = _resource(datapackage, name)
    where = Path(datapackage.parent, resource.path)
    source = resource.custom.get("source")
    if source not in bib.keys():
        raise DataError(f"{_rel(datapackage)}: resource '{name}' needs a 'source' key of references.bib.")
    try:
        raw = where.read_bytes()
        collection = json.loads(raw)
    except FileNotFoundError:
        raise DataError(f"{_rel(where)}: file missing (resource '{name}').") from None
    except ValueError as error:
        raise DataError(f"{_rel(where)}: not valid GeoJSON ({error}).") from None
    features = collection.get("features", [collection] if collection.get("type") == "Feature" else [])
    shapes = {}
    for number, feature in enumerate(features, start=1):
        feature_id = feature.get("properties", {}).get("id")
        if not feature_id:
            raise DataError(f"{_rel(where)}, feature {number}: no 'id' property.")
        shapes[str(feature_id)] = (feature["properties"], shapely.geometry.shape(feature["geometry"]))
    _record(name, where, raw)
    ROWS[name] = {feature_id: {"source": source, "register": None} for feature_id in shapes}
    return shapes


def _record(name: str, where: Path, raw: bytes) -> None:
    """Remember that this process read resource ``name`` with these bytes."""
    READS[name] = {"path": _rel(where), "sha256": hashlib.sha256(raw).hexdigest()}


def _resource(datapackage: Path, name: str) -> frictionless.Resource:
    """Open the package descriptor and return one resource, or say what is wrong."""
    try:
        descriptor = json.loads(datapackage.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{_rel(datapackage)}: not found.") from None
    except json.JSONDecodeError as error:
        raise DataError(f"{_rel(datapackage)}, line {error.lineno}: invalid JSON ({error.msg}).") from None
    try:
        package = frictionless.Package(descriptor, basepath=str(datapackage.parent))
    except frictionless.FrictionlessException as error:
        raise DataError(f"{_rel(datapackage)}: invalid data package: {error.error.message}") from None
    if not package.has_resource(name):
        known = ", ".join(sorted(package.resource_names))
        raise DataError(f"{_rel(datapackage)}: no resource named '{name}' (known: {known}).")
    return package.get_resource(name)


def _describe(where: Path, report: frictionless.Report) -> str:
    """One message per invalid file: the first errors with row, field and expectation."""
    errors = report.flatten(["rowNumber", "fieldName", "type", "note", "message"])
    lines = [f"{_rel(where)}: {len(errors)} problem(s) against the schema in data/datapackage.json"]
    for row_number, field, kind, note, message in errors[:5]:
        at = f"row {row_number}" if row_number else "header"
        at += f", field '{field}'" if field else ""
        lines.append(f"  {at}: {kind}: {note or message}")
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


def _plain_float(value: object) -> float | None:
    """Frictionless gives Decimal; the book computes with plain floats."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _rel(path: Path) -> str:
    """A path as the user sees it from the project root."""
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)
