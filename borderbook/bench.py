"""``make bench``: how long the book takes to build, against stock Jupyter Book.

On scratch copies of the project, each scenario runs at least three times and the
median is kept: a cold build (HTML and PDF), a rewrite (outputs removed, execution
cache kept: the cost of writing alone), a no-op rebuild, a prose-only edit, a
code edit in one chapter, a one-cell CSV edit (and which chapters re-executed), and
``make verify``. The same scenarios run under stock Jupyter Book behaviour: the plain
execution cache (without this book's extension) and forced execution. The table of
times and ratios is printed and written to ``_build/bench.json``.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from borderbook import paths
from borderbook.build import diagnose

RUNS = 3
PROSE = ("The next chapter measures the border", "The following chapter measures the border")
CODE = ("chapters/03-closed-border.md", "ch.finish()")
CSV = ("data/raw/border_lengths.csv", ",1300,,approx,")


class Copy:
    """A scratch copy of the project, built one way: "ours", "stock" (plain cache) or "forced"."""

    def __init__(self, root: Path, mode: str):
        paths.scratch_copy(root)
        self.root, self.mode, self.turn = root, mode, 0
        if mode != "ours":
            config = (root / "_config.yml").read_text()
            config = config.replace("  extra_extensions:\n    - borderbook.sphinxext\n", "")
            config = config.replace("bibtex_default_style: borderbook", "bibtex_default_style: plain")
            if mode == "forced":
                config = config.replace("execute_notebooks: cache", "execute_notebooks: force")
            (root / "_config.yml").write_text(config)
            toc = (root / "_toc.yml").read_text().replace("  - file: chapters/numbers\n", "")
            (root / "_toc.yml").write_text(toc)

    def run(self, *command) -> tuple[float, str]:
        environment = {**os.environ, "PYTHONPATH": str(self.root)}
        started = time.perf_counter()
        result = subprocess.run(command, cwd=self.root, env=environment, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed in {self.root}:\n"
                               + diagnose(result.stdout + result.stderr))
        return seconds, result.stdout + result.stderr

    def build(self) -> dict:
        """HTML then PDF; the seconds, and which chapters executed, for how long."""
        if self.mode == "ours":   # what `make book` runs
            total, log = self.run(sys.executable, "-m", "borderbook", "build", "html", "pdf")
        else:
            total, log = 0.0, ""
            jupyter_book = str(Path(sys.executable).with_name("jupyter-book"))
            for builder in ([], ["--builder", "pdflatex"]):
                seconds, output = self.run(jupyter_book, "build", ".", *builder, "-n", "--keep-going")
                total, log = total + seconds, log + output
        executed = {name: float(s) for name, s in
                    re.findall(r"chapters/([\w-]+)\.md: Executed notebook in ([\d.]+) seconds", log)}
        return {"seconds": total, "executed": executed}

    def forget_outputs(self) -> None:
        """Remove the built book but keep the execution cache: what is left is writing."""
        for folder in ("_build/work", "_build/html", "_build/pdf", "_build/latex", "_build/.doctrees"):
            shutil.rmtree(self.root / folder, ignore_errors=True)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    def toggle_prose(self):
        old, new = PROSE if self.turn % 2 == 0 else PROSE[::-1]
        self.edit("chapters/01-introduction.md", old, new)
        self.turn += 1

    def edit_code(self):
        self.edit(CODE[0], CODE[1], f"bench_turn = {self.turn}\n{CODE[1]}")
        self.turn += 1

    def edit_csv(self):
        self.edit(CSV[0], CSV[1], CSV[1].replace("1300", str(1301 + self.turn)))
        self.turn += 1


def measure(mode: str, scratch: Path) -> dict:
    """Every scenario for one mode, ``RUNS`` times each; medians and the raw runs."""
    results: dict[str, list] = {name: [] for name in
                                ("cold", "rewrite", "noop", "prose", "code", "csv", "verify")}
    for run in range(RUNS):
        copy = Copy(scratch / f"{mode}-{run}", mode)
        results["cold"].append(copy.build())
        copy.forget_outputs()
        results["rewrite"].append(copy.build())
        results["noop"].append(copy.build())
        copy.toggle_prose()
        results["prose"].append(copy.build())
        copy.edit_code()
        results["code"].append(copy.build())
        copy.edit_csv()
        results["csv"].append(copy.build())
        if mode == "ours":
            seconds, _ = copy.run(sys.executable, "-m", "borderbook", "verify")
            results["verify"].append({"seconds": seconds, "executed": {}})
        shutil.rmtree(copy.root)
    return {name: {"median": statistics.median(r["seconds"] for r in runs),
                   "executed": sorted(runs[-1]["executed"]),
                   "execution_seconds": statistics.median(sum(r["executed"].values()) for r in runs),
                   "runs": [round(r["seconds"], 2) for r in runs]}
            for name, runs in results.items() if runs}


def ratios(ours: dict, stock: dict, cores: int) -> dict:
    """The targets of the issue, as ratios (lower is better)."""
    readers = ours["csv"]["execution_seconds"]
    floor = ours["cold"]["execution_seconds"] / cores + ours["rewrite"]["median"]
    return {
        "noop / stock noop": ours["noop"]["median"] / stock["noop"]["median"],
        "csv edit / (its readers' execution + noop)": ours["csv"]["median"] / (readers + ours["noop"]["median"]),
        "cold / floor (execution spread over the cores + writing with a warm cache)":
            ours["cold"]["median"] / floor,
    }


def main() -> int:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="borderbook-bench-") as scratch:
        report = {mode: measure(mode, Path(scratch)) for mode in ("ours", "stock", "forced")}
    report["cores"] = cores
    report["ratios"] = ratios(report["ours"], report["stock"], cores)
    paths.BUILD.mkdir(exist_ok=True)
    (paths.BUILD / "bench.json").write_text(json.dumps(report, indent=1) + "\n")
    print(table(report))
    return 0


def table(report: dict) -> str:
    """The report as a Markdown table, as pasted into the README."""
    lines = ["| scenario (median of %d, s) | this book | stock cache | forced execution |" % RUNS,
             "| --- | ---: | ---: | ---: |"]
    for name in ("cold", "rewrite", "noop", "prose", "code", "csv", "verify"):
        cells = [f"{report[m][name]['median']:.1f}" if name in report[m] else "–" for m in ("ours", "stock", "forced")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"CSV edit re-executed: this book {report['ours']['csv']['executed']}, "
                 f"stock cache {report['stock']['csv']['executed'] or 'nothing (stale numbers)'}.")
    lines += [f"- {name}: {value:.2f}" for name, value in report["ratios"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
