"""A reviewer's check: regenerate everything from ``data/`` and compare with what is published.

The chapters run again in fresh kernels into a scratch folder (see
:mod:`borderbook.reproduce`), not in the warm kernels of ``make book``
(:mod:`borderbook.warm`): the clean room is the point of a verification. Then every
published number (value and printed text), every figure file (bytes; where they differ,
the difference of the data CSV and the share of pixels that changed) and the checksums
of the data recorded at publication are compared. The report is printed, and written to ``_build/verify/``.
"""

import difflib
import json
import subprocess
import tempfile
from pathlib import Path

from borderbook import freshness, paths, record, reproduce


def run(published: Path = paths.FIGURES) -> dict:
    """Regenerate into a scratch folder, compare, write the report; return it."""
    with tempfile.TemporaryDirectory(prefix="borderbook-verify-") as scratch:
        timings = reproduce.run({}, Path(scratch))
        fresh = Path(scratch) / "figures"
        report = {
            "chapters": timings,
            "numbers": compare_numbers(published, fresh),
            "figures": compare_files(published, fresh),
            "data": compare_data(record.read(published)),
        }
    report["identical"] = not any(report[part]["differences"] for part in ("numbers", "figures", "data"))
    paths.VERIFY_REPORT.parent.mkdir(parents=True, exist_ok=True)
    paths.VERIFY_REPORT.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    paths.VERIFY_REPORT.with_suffix(".md").write_text(render(report))
    return report


def compare_numbers(published: Path, fresh: Path) -> dict:
    """Every number: same value and same printed text in both registers, and the same bytes in
    both CSV copies (a hand edit of numbers.csv is a difference too)."""
    old, new = record.read(published)["numbers"], record.read(fresh)["numbers"]
    differences = []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            differences.append({"item": name, "what": "published but not regenerated"})
        elif name not in old:
            differences.append({"item": name, "what": "regenerated but not published"})
        else:
            for field in ("value", "text"):
                if old[name][field] != new[name][field]:
                    differences.append({"item": name, "what": f"{field}: published {old[name][field]!r}, "
                                                               f"regenerated {new[name][field]!r}"})
    if (published / "numbers.csv").exists() and record.as_csv(old) != (published / "numbers.csv").read_bytes():
        differences.append({"item": "numbers.csv", "what": "does not match numbers.json (edited by hand?)"})
    return {"count": len(old), "differences": differences}


def compare_files(published: Path, fresh: Path) -> dict:
    """Every figure file (SVG, PDF, CSV) byte for byte; explain the differences found."""
    names = {p.name for folder in (published, fresh) for p in folder.glob("fig-*.*")}
    differences = []
    for name in sorted(names):
        old, new = published / name, fresh / name
        if not new.exists() or not old.exists():
            differences.append({"item": name, "what": "missing " + ("regenerated" if old.exists() else "published")})
        elif old.read_bytes() != new.read_bytes():
            differences.append({"item": name, "what": _explain(old, new)})
    return {"count": len(names), "differences": differences}


def compare_data(book: dict) -> dict:
    """The data files as they are now, against their checksums recorded at publication."""
    recorded = {}
    for run in book["chapters"].values():
        recorded.update({name: sha for name, sha in run["inputs"].items() if name.startswith("data/")})
    differences = [{"item": path, "what": "changed since publication"}
                   for path, checksum in sorted(recorded.items())
                   if freshness.checksum(paths.ROOT / path) != checksum]
    return {"count": len(recorded), "differences": differences}


def _explain(old: Path, new: Path) -> str:
    """What differs in two versions of a figure file."""
    if old.suffix == ".csv":
        diff = difflib.unified_diff(old.read_text().splitlines(), new.read_text().splitlines(),
                                    "published", "regenerated", n=0, lineterm="")
        return "data differs:\n" + "\n".join(list(diff)[2:12])
    if old.suffix == ".pdf":
        return f"bytes differ; {_pixel_share(old, new):.2%} of pixels differ"
    return "bytes differ"


def _pixel_share(old: Path, new: Path) -> float:
    """Share of pixels that differ between the first pages of two PDFs rendered alike."""
    from PIL import Image, ImageChops

    images = []
    with tempfile.TemporaryDirectory() as scratch:
        for label, pdf in (("old", old), ("new", new)):
            subprocess.run(["pdftoppm", "-png", "-r", "50", "-singlefile", str(pdf), f"{scratch}/{label}"],
                           check=True)
            images.append(Image.open(f"{scratch}/{label}.png").convert("RGB"))
    if images[0].size != images[1].size:
        return 1.0
    box = ImageChops.difference(*images).convert("L").point(lambda v: 255 if v else 0)
    return sum(box.histogram()[255:]) / (box.size[0] * box.size[1])


def render(report: dict) -> str:
    """The report as a readable table, then the differences."""
    lines = ["| what | compared | differing |", "| --- | ---: | ---: |"]
    for part in ("numbers", "figures", "data"):
        lines.append(f"| {part} | {report[part]['count']} | {len(report[part]['differences'])} |")
    lines.append("")
    lines.append("Everything is identical." if report["identical"] else "Differences:")
    for part in ("numbers", "figures", "data"):
        for difference in report[part]["differences"]:
            lines.append(f"- {part}: {difference['item']}: {difference['what']}")
    if not report["identical"]:
        lines += ["", "What the book publishes (figures/) is not what data/ and the code give now. If you "
                      "changed data/ or a chapter, publish it with `make book`; if not, figures/ was edited "
                      "by hand: restore it (git checkout -- figures/). Then run `make verify` again."]
    return "\n".join(lines) + "\n"
