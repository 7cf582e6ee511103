"""``make bench``: how long the book takes to build, against stock Jupyter Book.

Each run makes one scratch copy of the project per mode and plays the scenarios on them,
**paired and interleaved**: this book's cold build, then stock's, then this book's rewrite,
then stock's, and so on, so that a change in the machine's load falls on both sides of each
pair. The scenarios: a cold build, a rewrite (outputs removed, execution cache kept: the
cost of writing alone), a no-op rebuild, a prose-only edit, a code edit in one chapter, a
one-cell CSV edit (and which chapters re-executed), and ``make verify`` (this book only).

For each build, the wall seconds and the CPU seconds (user + system of the build and every
process it waited for: Sphinx, the kernels, LaTeX) are kept, with the machine's load average
when it started. The medians, their spread, and this book's ratio to stock in wall and in
CPU time are printed and written to ``_build/bench.json``; ``--readme`` also rewrites the
table of the README from them.

The modes (:data:`MODES`) do not do the same work; :data:`STOCK_LACKS` says how, and the
output repeats it.
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import MappingProxyType

from borderbook import paths
from borderbook.build import BUILDERS, KINDS, diagnose

RUNS = 3
SCENARIOS = ("cold", "rewrite", "noop", "prose", "code", "csv", "verify")
PROSE = ("The next chapter measures the border", "The following chapter measures the border")
#: A code edit: a line added to chapter 3's parameters cell (a place every version of the book has).
CODE = ("chapters/03-closed-border.md", ":tags: [parameters, remove-cell]\n\n")
CSV = ("data/raw/border_lengths.csv", ",1300,,approx,")
MODES = MappingProxyType({
    "ours": "this book: `python -m borderbook build html pdf epub`, what `make book` runs (the "
            "chapters to run execute first, in parallel; a first build reads the documents once, "
            "for the HTML, and writes the PDF and the EPUB from that read side by side; after an "
            "edit the three build side by side, each under -W; nothing runs when no source changed)",
    "stock": "the same book built by stock Jupyter Book 1: `jupyter-book build .`, then "
             "`--builder pdflatex`, then the EPUB, one after the other under -W in one _build (the PDF "
             "and the EPUB reuse the HTML's read), with MyST-NB executing the chapters one by one "
             "into its plain cache; the extension's pages, directives and editions are in, its "
             "data-awareness and its checks out",
    "forced": "stock, set to execute every page it reads (`execute_notebooks: force`)",
    "before": "this project as it was at an earlier revision (`--against REV`), built by that "
              "revision's own `make book`",
})
#: The extension's features stock keeps: the same pages, directives and editions. It leaves
#: out the two that make this book data-aware (freshness) and fail closed (checks).
STOCK_FEATURES = ("pages", "directives", "latex", "epub", "html", "citations", "cells", "cite")
#: What the stock modes do not do that this book's build does: their times are for less work.
STOCK_LACKS = (
    "no data-awareness: a CSV edit re-executes nothing (the book keeps printing the old numbers)",
    "no checks: typed quantities, unknown sources, unused numbers and figures without captions pass",
    "no all-or-nothing publishing: a failed build leaves half-written outputs",
)
class Copy:
    """A scratch copy of the project, built one way: "ours", "stock" (plain cache) or "forced"."""

    def __init__(self, root: Path, mode: str, revision: str | None = None):
        self.root, self.mode, self.turn = root, mode, 0
        self.command = [sys.executable, "-m", "borderbook", "build", "html", "pdf", "epub"]
        if mode == "before":
            self.command = _unpack(revision, root)
            return
        paths.scratch_copy(root)
        if mode != "ours":
            config = (root / "_config.yml").read_text()
            features = "".join(f"    - borderbook.sphinxext.{feature}\n" for feature in STOCK_FEATURES)
            config = config.replace("    - borderbook.sphinxext\n", features)
            if mode == "forced":
                config = config.replace("execute_notebooks: cache", "execute_notebooks: force")
            (root / "_config.yml").write_text(config)

    def run(self, *command) -> tuple[dict, str]:
        """Run ``command`` in the copy: its wall and CPU seconds, the load when it started; its log."""
        environment = {**os.environ, "PYTHONPATH": str(self.root)}
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(command, cwd=self.root, env=environment, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed in {self.root}:\n"
                               + diagnose(result.stdout + result.stderr))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {"wall": wall, "cpu": cpu, "load": load}, result.stdout + result.stderr

    def build(self) -> dict:
        """One build of this copy's mode: the seconds, and which chapters executed, for how long."""
        if self.mode in ("ours", "before"):   # what `make book` runs
            times, log = self.run(*self.command)
        else:
            times, log = {"wall": 0.0, "cpu": 0.0, "load": os.getloadavg()[0]}, ""
            jupyter_book = str(Path(sys.executable).with_name("jupyter-book"))
            for kind in KINDS:   # HTML, PDF, EPUB, with the same builder options as ours
                part, output = self.run(jupyter_book, "build", ".", *BUILDERS[kind], "-n", "-W",
                                        "--keep-going")
                times["wall"] += part["wall"]
                times["cpu"] += part["cpu"]
                log += output
        executed = {name: float(s) for name, s in
                    re.findall(r"chapters/([\w-]+)\.md: Executed notebook in ([\d.]+) seconds", log)}
        return {**times, "executed": executed}

    def verify(self) -> dict:
        times, _ = self.run(sys.executable, "-m", "borderbook", "verify")
        return {**times, "executed": {}}

    def forget_outputs(self) -> None:
        """Remove the built book but keep the execution cache: what is left is writing."""
        for folder in ("_build/work", "_build/html", "_build/pdf", "_build/epub", "_build/latex",
                       "_build/.doctrees"):
            shutil.rmtree(self.root / folder, ignore_errors=True)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        if old not in text:   # the scenario would measure nothing
            raise RuntimeError(f"{relative} of the {self.mode} copy has no {old!r} to edit")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def toggle_prose(self):
        old, new = PROSE if self.turn % 2 == 0 else PROSE[::-1]
        self.edit("chapters/01-introduction.md", old, new)
        self.turn += 1

    def edit_code(self):
        self.edit(CODE[0], CODE[1], f"{CODE[1]}bench_turn = {self.turn}\n")
        self.turn += 1

    def edit_csv(self):
        self.edit(CSV[0], CSV[1], CSV[1].replace("1300", str(1301 + self.turn)))
        self.turn += 1


#: Each scenario: what to do to a copy before the build (None: nothing).
STEPS = (
    ("cold", None),
    ("rewrite", Copy.forget_outputs),
    ("noop", None),
    ("prose", Copy.toggle_prose),
    ("code", Copy.edit_code),
    ("csv", Copy.edit_csv),
)


def measure(modes: tuple[str, ...], scratch: Path, runs: int = RUNS, say=print, after_run=None,
            revision: str | None = None) -> dict:
    """Every scenario ``runs`` times, each scenario played by every mode in turn before the next
    one starts (ours, stock, ours, stock…); the raw runs of each mode and scenario.
    ``after_run(results, done)`` is called after each run (a long bench keeps what it measured);
    ``revision`` is the one the "before" mode builds."""
    results = {mode: {name: [] for name in SCENARIOS} for mode in modes}
    for run in range(runs):
        copies = {mode: Copy(scratch / f"{mode}-{run}", mode, revision) for mode in modes}
        for name, step in STEPS:
            for mode, copy in copies.items():
                if step is not None:
                    step(copy)
                results[mode][name].append(copy.build())
                say(_line(run, name, mode, results[mode][name][-1]))
        for mode in ("ours", "before"):   # the modes with a `make verify`
            if mode in copies:
                results[mode]["verify"].append(copies[mode].verify())
                say(_line(run, "verify", mode, results[mode]["verify"][-1]))
        for copy in copies.values():
            shutil.rmtree(copy.root)
        if after_run is not None:
            after_run(results, run + 1)
    return results


def _line(run: int, name: str, mode: str, times: dict) -> str:
    return (f"run {run + 1} {name:8} {mode:6} wall {times['wall']:6.1f} s  cpu {times['cpu']:6.1f} s  "
            f"(load {times['load']:.2f} at start)")


def summarise(runs: list[dict]) -> dict:
    """Median and spread (min, max) of wall and CPU seconds; the raw runs."""
    walls, cpus = [r["wall"] for r in runs], [r["cpu"] for r in runs]
    return {
        "wall": statistics.median(walls), "wall_spread": [min(walls), max(walls)],
        "cpu": statistics.median(cpus), "cpu_spread": [min(cpus), max(cpus)],
        "executed": sorted(runs[-1]["executed"]),
        "execution_seconds": statistics.median(sum(r["executed"].values()) for r in runs),
        "runs": [{key: round(r[key], 2) for key in ("wall", "cpu", "load")} for r in runs],
    }


def ratios(ours: dict, stock: dict, cores: int, before: dict | None = None) -> dict:
    """This book against stock (and against ``before``, an earlier revision) in wall and CPU
    time for each scenario both play, and the issue's targets (lower is better)."""
    table = {f"{name} {kind} / {mode}'s": ours[name][kind] / other[name][kind]
             for mode, other in (("stock", stock), ("before", before or {}))
             for name in SCENARIOS if name in ours and name in other for kind in ("wall", "cpu")}
    readers = ours["csv"]["execution_seconds"]
    floor = ours["cold"]["execution_seconds"] / cores + ours["rewrite"]["wall"]
    table["csv edit wall / (its readers' execution + noop)"] = ours["csv"]["wall"] / (readers + ours["noop"]["wall"])
    table["cold wall / floor (execution spread over the cores + a rewrite's wall)"] = ours["cold"]["wall"] / floor
    return table


def machine() -> dict:
    """What the bench ran on: cores, processor, system, and the load when it started."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    return {"cores": os.cpu_count() or 1, "processor": model, "system": platform.platform(),
            "python": platform.python_version(), "load_at_start": list(os.getloadavg())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m borderbook.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each scenario (default %(default)s)")
    parser.add_argument("--forced", action="store_true", help="also play stock with forced execution")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's table from the result")
    parser.add_argument("--against", metavar="REV", help="also play this project as it was at git "
                        "revision REV, built by its own `make book` (side by side, in the same runs)")
    arguments = parser.parse_args(argv)
    modes = ("ours", "stock") + ("forced",) * arguments.forced + ("before",) * bool(arguments.against)
    report = {"machine": machine(), "modes": {mode: MODES[mode] for mode in modes},
              "stock_lacks": list(STOCK_LACKS)}
    if arguments.against:
        report["before_revision"] = _revision(arguments.against)

    def publish(raw: dict, done: int) -> None:
        """Write the report of the runs done so far (all of them, at the end)."""
        report["runs_each"] = done
        for mode in modes:
            report[mode] = {name: summarise(runs) for name, runs in raw[mode].items() if runs}
        report["ratios"] = ratios(report["ours"], report["stock"], report["machine"]["cores"], report.get("before"))
        paths.BUILD.mkdir(exist_ok=True)
        (paths.BUILD / "bench.json").write_text(json.dumps(report, indent=1) + "\n")
        if arguments.readme:
            readme = paths.ROOT / "README.md"
            readme.write_text(in_readme(readme.read_text(encoding="utf-8"), table(report)), encoding="utf-8")
        print(f"{done} of {arguments.runs} runs: _build/bench.json written"
              + (", and the README's table" if arguments.readme else ""), flush=True)

    with tempfile.TemporaryDirectory(prefix="borderbook-bench-") as scratch:
        measure(modes, Path(scratch), arguments.runs, say=lambda line: print(line, flush=True), after_run=publish,
                revision=arguments.against)
    print(table(report))
    return 0


README_START, README_END = "<!-- bench: start -->", "<!-- bench: end -->"


def _revision(revision: str) -> str:
    """``revision``'s short commit id and date, or a clear error if git does not know it."""
    result = subprocess.run(["git", "log", "-1", "--format=%h (%cs)", revision, "--"], cwd=paths.ROOT,
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"--against {revision}: not a revision of this repository ({result.stderr.strip()})")
    return result.stdout.strip()


def _unpack(revision: str, root: Path) -> list[str]:
    """Unpack the project at ``revision`` into ``root``; return the command its `make book` runs."""
    root.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=paths.ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)
    recipe = re.search(r"^book:.*\n\t\$\(BIN\)/python (.+)$", (root / "Makefile").read_text(), re.MULTILINE)
    if recipe is None:
        raise SystemExit(f"--against {revision}: its Makefile has no `book:` recipe running $(BIN)/python")
    return [sys.executable, *recipe.group(1).split()]


def in_readme(text: str, table_: str) -> str:
    """The README with the text between its bench markers replaced by ``table_``."""
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    return text[:start] + "\n" + table_ + "\n" + text[end:]


def table(report: dict) -> str:
    """The report in Markdown, as in the README: medians with their spread, ratios, what stock lacks."""
    modes = [mode for mode in ("ours", "stock", "forced") if mode in report]
    names = {"ours": "this book", "stock": "stock", "forced": "forced"}
    runs = report["runs_each"]
    head = " | ".join(f"{names[m]} wall | {names[m]} CPU" for m in modes)
    lines = [f"| scenario (median of {runs}, s; min–max) | {head} | wall ratio | CPU ratio |",
             "| --- |" + " ---: |" * (2 * len(modes) + 2)]
    for name in SCENARIOS:
        cells = []
        for mode in modes:
            if name in report[mode]:
                result = report[mode][name]
                for kind in ("wall", "cpu"):
                    low, high = result[kind + "_spread"]
                    cells.append(f"{_seconds(result[kind])} ({_seconds(low)}–{_seconds(high)})")
            else:
                cells += ["–", "–"]
        for kind in ("wall", "cpu"):
            ratio = report["ratios"].get(f"{name} {kind} / stock's")
            cells.append(f"{ratio:.2f}" if ratio is not None else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    box = report["machine"]
    loads = [r["load"] for mode in modes for result in report[mode].values() for r in result["runs"]]
    lines += ["",
              f"Machine: {box['cores']} cores ({box['processor']}), {box['system']}, Python {box['python']}; "
              f"load average at the start of each build {min(loads):.1f}–{max(loads):.1f}. Ratios are this "
              "book's median over stock's (lower is better). CPU time is user + system of the build and "
              "every process it waited for.",
              "",
              f"CSV edit re-executed: this book {report['ours']['csv']['executed']}, "
              f"stock {report['stock']['csv']['executed'] or 'nothing (stale numbers)'}.",
              "",
              "Stock lacks: " + "; ".join(report["stock_lacks"]) + ".",
              "",
              "Targets:"]
    lines += [f"- {name}: {value:.2f}" for name, value in report["ratios"].items() if not name.endswith("'s")]
    if "before" in report:
        lines += ["", f"Against {report['before_revision']} (this project then, built by its own "
                  "`make book`), in the same runs:", "",
                  f"| scenario (median of {runs}, s) | this book wall | this book CPU | then wall | then CPU "
                  "| wall ratio | CPU ratio |", "| --- |" + " ---: |" * 6]
        for name in SCENARIOS:
            if name in report["ours"] and name in report["before"]:
                cells = [_seconds(report[mode][name][kind]) for mode in ("ours", "before") for kind in ("wall", "cpu")]
                cells += [f"{report['ratios'][key]:.2f}" for key in (f"{name} wall / before's", f"{name} cpu / before's")]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _seconds(seconds: float) -> str:
    """Seconds as the table shows them: to a hundredth under one second (a no-op's target is
    0.2 s), else to a tenth."""
    return f"{seconds:.2f}" if seconds < 1 else f"{seconds:.1f}"


if __name__ == "__main__":
    sys.exit(main())
