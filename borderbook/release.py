"""The edition's identity (version, date: CITATION.cff is the one place they are written) and
``make release``: one zip that carries the book, its data and how each output was made.

The archive ``_build/release/<slug>-<version>.zip`` holds the three editions (HTML, PDF,
EPUB), the data package (``data/``), ``figures/``, ``references.bib``, the environment
(``requirements.txt``, ``apt.txt``), ``CITATION.cff``, the chapters, and an
``ro-crate-metadata.json`` (RO-Crate 1.1, Process Run Crate profile) that says what is
inside and how each output was made: every data file with its checksum, licence and
sources; every chapter as the code that ran; every file of ``figures/`` as the result of a
``CreateAction`` of the chapter that made it, whose objects are the exact data files (by
checksum) its recorded run read (``figures/numbers.json``).

A release is made only from a clean git tree whose ``make verify`` passes: a reviewer who
unpacks it can run ``make verify`` again and get the same answer.
"""

import csv
import datetime
import hashlib
import json
import mimetypes
import platform
import subprocess
import tempfile
import zipfile
from pathlib import Path

import yaml

from borderbook import paths, record

SLUG = "taliban-at-the-border"
CITATION = paths.ROOT / "CITATION.cff"
RELEASES = paths.BUILD / "release"
PROCESS_RUN_CRATE = "https://w3id.org/ro/wfrun/process/0.5"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
MIT = "https://spdx.org/licenses/MIT"
#: Files of the project that travel as they are, beside data/, figures/ and chapters/.
CARRIED = ("references.bib", "requirements.txt", "apt.txt", "CITATION.cff", "_toc.yml", "_config.yml",
           "README.md", "LICENSE", "LICENSE-CONTENT.md", "Makefile", "pyproject.toml")
#: A fixed time for every zip entry: the archive's bytes depend on its contents only.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ReleaseError(Exception):
    """The tree cannot be released; the message says why and what to do."""


def cff(citation: Path = CITATION) -> dict:
    """The CFF record, the one place the edition's title, authors, version and date are
    written; a field the edition needs that is missing is an error naming it."""
    record = yaml.safe_load(citation.read_text(encoding="utf-8"))
    for key in ("title", "authors", "version", "date-released"):
        if not record.get(key):
            raise ReleaseError(f"{citation.name}: field '{key}' is missing or empty; the edition's "
                               "identity and its citation are generated from it.")
    try:
        record["date-released"] = datetime.date.fromisoformat(str(record["date-released"]))
    except ValueError:
        raise ReleaseError(f"{citation.name}: field 'date-released' is {record['date-released']!r}, "
                           "not a date written YYYY-MM-DD.") from None
    return record


def edition(citation: Path = CITATION) -> dict:
    """Version, date, title and identifier of this edition, from CITATION.cff."""
    record = cff(citation)
    version, date = str(record["version"]), str(record["date-released"])
    return {"version": version, "date": date, "title": record["title"], "licence": record.get("license"),
            "identifier": f"{SLUG}-{version}", "slug": SLUG}


def make(out: Path = RELEASES) -> Path:
    """``make release``: refuse a dirty tree or a failing verification; build the editions
    (a no-op when they are fresh); write the zip; return its path."""
    from borderbook import build, verify

    _refuse_dirty()
    print("Running `make verify`: every chapter again from data/, compared with figures/ …")
    report = verify.run()
    if not report["identical"]:
        print(verify.render(report))
        raise ReleaseError("`make verify` found differences between figures/ and what the data and "
                           "the code give now (report: _build/verify/report.md). Publish the chapters "
                           "again with `make book`, commit, then release.")
    build.build(list(build.KINDS))   # the Reproducibility appendix shows the new verification
    _refuse_dirty()   # again: nothing may have changed while it verified and built
    return write(out)


def _refuse_dirty() -> None:
    dirty = git_status()
    if dirty:
        raise ReleaseError("The git tree is not clean; a release must be made from a commit, so that "
                           "its version names exactly one state of the sources. Commit or stash:\n"
                           + "\n".join(f"  {line}" for line in dirty[:20]))


def git_status(root: Path = paths.ROOT) -> list[str]:
    """The lines of ``git status --porcelain``: what is changed or untracked (ignored files aside)."""
    result = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True)
    if result.returncode:
        raise ReleaseError(f"git status failed in {root}: {result.stderr.strip()} (a release is made "
                           "from a git checkout).")
    return [line for line in result.stdout.splitlines() if line.strip()]


def write(out: Path = RELEASES, root: Path = paths.ROOT, build_dir: Path = paths.BUILD) -> Path:
    """Assemble the release from the published editions and the sources; return the zip."""
    info = edition(root / "CITATION.cff")
    editions = {"html": build_dir / "html", "pdf": build_dir / "pdf" / f"{SLUG}.pdf",
                "epub": build_dir / "epub" / f"{SLUG}.epub"}
    missing = [str(path) for path in editions.values() if not path.exists()]
    if missing:
        raise ReleaseError(f"the editions are not built ({', '.join(missing)} missing): run `make book`.")
    name = f"{SLUG}-{info['version']}"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="borderbook-release-") as scratch:
        folder = Path(scratch) / name
        crate(root, editions, info).write(folder)
        target = out / f"{name}.zip"
        _zip(folder, target.with_suffix(".tmp"), name)
        target.with_suffix(".tmp").replace(target)
    return target


def crate(root: Path, editions: dict, info: dict):
    """The RO-Crate of the release (not yet written)."""
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    book = record.read(root / "figures")
    rocrate = ROCrate()
    top = rocrate.root_dataset
    top["name"] = info["title"]
    top["description"] = ("A reproducible edition of Mélanie Sadozaï, 'Taliban at the Border: A New Regime "
                          "Neighboring Tajikistan', CAP Paper No. 267, Central Asia Program, The George "
                          "Washington University, November 2021: the book in three editions, the data it "
                          "is computed from, and how each output was made.")
    top["version"] = info["version"]
    top["datePublished"] = info["date"]
    top["identifier"] = info["identifier"]
    cc_by = rocrate.add(ContextEntity(rocrate, CC_BY, properties={
        "@type": "CreativeWork", "name": "Creative Commons Attribution 4.0 International",
        "identifier": "CC-BY-4.0"}))
    mit = rocrate.add(ContextEntity(rocrate, MIT, properties={
        "@type": "CreativeWork", "name": "MIT License", "identifier": "MIT"}))
    top["license"] = cc_by
    profile = rocrate.add(ContextEntity(rocrate, PROCESS_RUN_CRATE, properties={
        "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"}))
    top.append_to("conformsTo", profile)

    def add(path: Path, dest: str, properties: dict | None = None):
        data = path.read_bytes()
        return rocrate.add_file(path, dest_path=dest, properties={
            "sha256": hashlib.sha256(data).hexdigest(), "contentSize": str(len(data)),
            "encodingFormat": _media_type(path), **(properties or {})})

    # The data package: every file of data/, with checksum, licence and the works its rows cite.
    sources = {}
    data_files = {}
    for path in _sources(root / "data"):
        relative = path.relative_to(root).as_posix()
        cited = [_source(rocrate, sources, key) for key in _cited(path)]
        data_files[relative] = add(path, relative, {"license": cc_by, **({"citation": cited} if cited else {})})
    rocrate.add_dataset(None, "data/", properties={
        "name": "The data package (input only; data/datapackage.json describes it)",
        "hasPart": list(data_files.values()), "license": cc_by})

    # The code that ran: every chapter, and the helper package its runs recorded.
    environment = _environment(rocrate, root, add, mit)
    code = {}
    for chapter in sorted(book["chapters"]):
        path = root / "chapters" / f"{chapter}.md"
        code[chapter] = add(path, f"chapters/{chapter}.md", {
            "@type": ["File", "SoftwareSourceCode"], "name": f"Chapter {chapter} (a MyST notebook)",
            "programmingLanguage": "Python", "license": mit, "softwareRequirements": environment})
    for path in sorted((root / "chapters").glob("*.md")):
        if path.stem not in book["chapters"]:
            add(path, f"chapters/{path.name}", {"name": f"Page {path.stem} (text only, no code ran)"})
    for path in sorted((root / "borderbook").rglob("*.py")):
        add(path, path.relative_to(root).as_posix(), {"license": mit})

    # The outputs: every file of figures/, each the result of the chapter run that made it.
    outputs = {path.name: add(path, f"figures/{path.name}", {"license": cc_by})
               for path in _sources(root / "figures")}
    register = [outputs[name] for name in ("numbers.json", "numbers.csv") if name in outputs]
    for chapter, run in sorted(book["chapters"].items()):
        read = {file: checksum for file, checksum in run["inputs"].items() if file.startswith("data/")}
        changed = [file for file, checksum in read.items()
                   if file not in data_files or data_files[file]["sha256"] != checksum]
        if changed:
            raise ReleaseError(f"figures/numbers.json: chapter '{chapter}' was run on other versions of "
                               f"{', '.join(changed)}; run `make book` to publish it again, then release.")
        figures = [outputs[f"{name}.{ext}"] for name, figure in sorted(book["figures"].items())
                   if figure["chapter"] == chapter for ext in ("svg", "pdf", "csv")]
        numbers = sum(1 for number in book["numbers"].values() if number["chapter"] == chapter)
        action = rocrate.add_action(code[chapter], identifier=f"#run-{chapter}", properties={
            "@type": "CreateAction", "name": f"Run of chapter {chapter}",
            "description": (f"Chapter {chapter} ran on these data files (by checksum, as its run recorded "
                            f"them) and published {len(figures) // 3} figure(s) and {numbers} number(s) "
                            "of the register."),
            "actionStatus": "http://schema.org/CompletedActionStatus",
            "object": [data_files[file] for file in sorted(read)],
            "result": figures + register})
        if run.get("parameters"):
            action["description"] += f" Parameters: {json.dumps(run['parameters'], sort_keys=True)}."
        top.append_to("mentions", action)

    # The editions, and the build that made them from the chapters and figures.
    results = [rocrate.add_dataset(editions["html"], "html/", properties={
                   "name": "The HTML edition (open html/index.html)", "license": cc_by}),
               add(editions["pdf"], f"{SLUG}.pdf", {"name": "The PDF edition", "license": cc_by}),
               add(editions["epub"], f"{SLUG}.epub", {"name": "The EPUB edition", "license": cc_by})]
    jupyter_book = rocrate.add(ContextEntity(rocrate, "#jupyter-book", properties={
        "@type": "SoftwareApplication", "name": "Jupyter Book (through borderbook.build)",
        "softwareVersion": _version("jupyter-book"), "softwareRequirements": environment}))
    action = rocrate.add_action(jupyter_book, identifier="#build-editions", properties={
        "@type": "CreateAction", "name": "Build of the HTML, PDF and EPUB editions (make book)",
        "actionStatus": "http://schema.org/CompletedActionStatus",
        "object": list(code.values()) + list(outputs.values()), "result": results})
    top.append_to("mentions", action)
    for name in CARRIED:
        if (root / name).exists() and rocrate.get(name) is None:
            add(root / name, name)
    for folder in ("_static", "_templates"):   # the HTML's look: `make book` works from the archive
        for path in _sources(root / folder):
            add(path, path.relative_to(root).as_posix())
    return rocrate


def _sources(folder: Path) -> list[Path]:
    """The files of ``folder`` that are part of the project (no lock or temporary file)."""
    return [path for path in paths.sources(folder) if path.is_file()]


def _environment(rocrate, root: Path, add, licence) -> list:
    """The software environment: the pinned Python packages, the Debian packages, the Python
    that ran, and TeX."""
    from rocrate.model.contextentity import ContextEntity

    requirements = add(root / "requirements.txt", "requirements.txt", {
        "name": "Exact pins of every Python package (pip install -r requirements.txt)"})
    apt = add(root / "apt.txt", "apt.txt", {"name": "Debian packages: TeX, fonts, Chromium, EPUBCheck"})
    python = rocrate.add(ContextEntity(rocrate, "#python", properties={
        "@type": "SoftwareApplication", "name": "Python", "softwareVersion": platform.python_version(),
        "softwareRequirements": [requirements]}))
    borderbook = rocrate.add(ContextEntity(rocrate, "#borderbook", properties={
        "@type": "SoftwareApplication", "name": "borderbook (this project's helper package)",
        "license": licence, "softwareRequirements": [requirements, apt]}))
    return [python, borderbook, requirements, apt]


def _source(rocrate, sources: dict, key: str):
    """The bibliography entry ``key`` as a contextual entity (one per key)."""
    from rocrate.model.contextentity import ContextEntity

    if key not in sources:
        sources[key] = rocrate.add(ContextEntity(rocrate, f"#source-{key}", properties={
            "@type": "CreativeWork", "name": key, "identifier": key,
            "description": "An entry of references.bib, by its key"}))
    return sources[key]


def _cited(path: Path) -> list[str]:
    """The bibliography keys a data file's rows cite (column ``source``)."""
    if path.suffix != ".csv":
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return sorted({row["source"] for row in csv.DictReader(handle) if row.get("source")})


def _media_type(path: Path) -> str:
    known = {".csv": "text/csv", ".json": "application/json", ".geojson": "application/geo+json",
             ".md": "text/markdown", ".bib": "application/x-bibtex", ".cff": "application/x-yaml",
             ".yml": "application/x-yaml", ".py": "text/x-python", ".epub": "application/epub+zip"}
    return known.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _zip(folder: Path, target: Path, top: str) -> None:
    """Zip ``folder`` under the name ``top``, its entries sorted and dated alike."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            entry = zipfile.ZipInfo(f"{top}/{path.relative_to(folder).as_posix()}", ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, path.read_bytes())
