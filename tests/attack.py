"""Replay a catalogue of attacks on a scratch copy of the book, and say how each was met.

``make attack`` (or ``python -m tests.attack [-k WORD] [--keep]``) copies the project into a
temporary folder (the small book of ``tests/e2e``: the introduction and the appendices),
commits it to a fresh git repository, builds its HTML once, then for each attack of
:data:`ATTACKS`: applies it, runs the build (or the command under attack), and checks

* **exit**: the exit code is the expected one (non-zero for bad input or misuse, 0 for a
  legitimate change such as a revert, 130 for an interruption);
* **clear**: the last lines of a failure name the file (and the row, line or field where
  there is one) and say what to do; a legitimate change prints what it must (a repair, a wait);
* **preserved**: after a failure ``figures/`` and ``_build/html`` (and the PDF, and for
  ``reproduce --out`` the whole project and the folder outside it) are byte-identical to
  what they were before the attack;
* **recovers**: after undoing the attack (``git checkout -- . && git clean -fd``, which
  leaves the ignored ``_build/`` alone, or the attack's own undo) the next build exits 0,
  ``git status --porcelain`` is empty, and every published number is printed, as the
  register says, in its page and in the numbers appendix (and no value of the attack is).

It prints one line per attack and a summary, and exits 1 if any attack failed. An attack
that fails to recover is followed by a reset of the scratch copy to its first build, so
that one failure does not spill into the next attack.
"""

import argparse
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tests.conftest import tree_digest
from tests.e2e.conftest import Project

LENGTHS = "data/raw/border_lengths.csv"
QUANTITY = "data/schemas/quantity.json"
PACKAGE = "data/datapackage.json"
CHAPTER = "chapters/01-introduction.md"
PLAN = "## The plan of the book"
AFP = ",1300,,approx,km,2021-07,Agence France-Presse,reported,,afp2021refugees,"   # row 10 of LENGTHS
AFP_ROW = r"row 10"
# What a failure's last lines must say to be clear: a thing to do (an imperative) ...
TODO = re.compile(r"\b(fix|correct|choose|use|add|remove|delete|define|declare|give|write|run|replace|"
                  r"empty|save|restore|check|rename|re-?encode|wait|list|edit|quote|put|glue)\b", re.IGNORECASE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TAIL = 25   # the "last lines" of an output


class Scratch(Project):
    """The scratch project: a :class:`~tests.e2e.conftest.Project` under git."""

    def git(self, *arguments, check=True) -> str:
        result = subprocess.run(["git", "-c", "user.name=attack", "-c", "user.email=attack@localhost",
                                 "-c", "commit.gpgsign=false", *arguments], cwd=self.root,
                                capture_output=True, text=True)
        if check and result.returncode:
            raise RuntimeError(f"git {' '.join(arguments)}: {result.stderr}")
        return result.stdout

    def environment(self) -> dict:
        return {**os.environ, "PYTHONPATH": str(self.root)}

    def start(self, *arguments, cwd=None, wrapper=False) -> subprocess.Popen:
        command = [sys.executable, "-m", "borderbook", *arguments]
        if wrapper:   # a parent shell that does not exec its command, as `make` does not
            command = ["sh", "-c", " ".join(command) + "; exit $?"]
        return subprocess.Popen(command, cwd=cwd or self.root, env=self.environment(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)

    def path(self, relative: str) -> Path:
        return self.root / relative

    def replace_bytes(self, relative: str, old: bytes, new: bytes) -> None:
        data = self.path(relative).read_bytes()
        assert old in data, f"{old!r} not in {relative}"
        self.path(relative).write_bytes(data.replace(old, new, 1))

    def status(self) -> str:
        return self.git("status", "--porcelain")

    def undo(self) -> None:
        """Every tracked file as committed, untracked ones gone; ``_build/`` (ignored) stays."""
        self.git("checkout", "--", ".")
        self.git("clean", "-fdq")


@dataclass
class Result:
    code: int
    output: str
    notes: list[str] = field(default_factory=list)   # what a custom run found wrong


@dataclass
class Attack:
    name: str
    run: Callable[[Scratch], Result]       # applies the attack, runs the command under attack
    expect: str = "fail"                  # "fail" (non-zero), "ok" (0), or an exact code as text
    where: str | None = None              # regex the last lines must match (file, row, field)
    todo: bool = True                     # whether the last lines must say what to do
    guard: tuple[str, ...] | None = None  # what must be byte-identical; default: failure → outputs
    undo: Callable[[Scratch], None] | None = None
    setup: Callable[[Scratch], None] | None = None   # done before the "preserved" snapshot
    ghosts: tuple[str, ...] = ()          # texts the recovered HTML must not print
    recover_kinds: tuple[str, ...] = ("html",)


# ---------------------------------------------------------------------------------------------
# Building blocks of the catalogue

def build(*kinds) -> Callable[[Scratch], Result]:
    def run(s: Scratch) -> Result:
        return Result(*s.run("build", *(kinds or ("html",))))
    return run


def failing_build(s: Scratch) -> Result:
    """A step of a scenario: a build that must fail (its exit is not the scenario's)."""
    code, output = s.run("build", "html")
    return Result(0, output, [] if code else ["the build of bad input exited 0"])


def edited(relative: str, old: str, new: str, then=None) -> Callable[[Scratch], Result]:
    """Replace ``old`` by ``new`` in a file, then build (or ``then``)."""
    def run(s: Scratch) -> Result:
        s.edit(relative, old, new)
        return (then or build())(s)
    return run


def data(name, old, new, where, **options) -> Attack:
    return Attack(name, edited(LENGTHS, old, new), where=where, **options)


def prose(name, text, where, **options) -> Attack:
    return Attack(name, edited(CHAPTER, PLAN, f"{text}\n\n{PLAN}"), where=where, **options)


def bytes_edit(relative: str, change: Callable[[bytes], bytes]) -> Callable[[Scratch], Result]:
    def run(s: Scratch) -> Result:
        s.path(relative).write_bytes(change(s.path(relative).read_bytes()))
        return build()(s)
    return run


def then_build(action: Callable[[Scratch], None], *kinds) -> Callable[[Scratch], Result]:
    def run(s: Scratch) -> Result:
        action(s)
        return build(*kinds)(s)
    return run


def command(*arguments, cwd=None) -> Callable[[Scratch], Result]:
    def run(s: Scratch) -> Result:
        # stdout and stderr in one stream, in the order a terminal shows them: make verify's
        # report comes after the chapters' progress bars (stderr), not before them
        result = subprocess.run([sys.executable, "-m", "borderbook", *arguments], cwd=cwd or s.root,
                                env=s.environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=900)
        return Result(result.returncode, result.stdout)
    return run


def steps(*parts) -> Callable[[Scratch], Result]:
    """Run ``parts`` in order (edits, git commands, builds); each build but the last must exit 0.
    The result is the last build's."""
    def run(s: Scratch) -> Result:
        outputs, notes, last = [], [], None
        for position, part in enumerate(parts):
            result = part(s)
            if isinstance(result, Result):
                notes += result.notes
                if result.output:   # a build (a check of the HTML has no output)
                    outputs.append(result.output)
                    last = result
                    if position < len(parts) - 1 and result.code != 0:
                        notes.append(f"step {position + 1} exited {result.code}")
        return Result(last.code, "\n".join(outputs), notes)
    return run


def shows(*texts, page="01-introduction", absent=()) -> Callable[[Scratch], Result | None]:
    """A step: the HTML page prints every one of ``texts`` and none of ``absent``."""
    def check(s: Scratch):
        text = page_text(s, page)
        missing = [t for t in texts if t not in text] + [f"not {t}" for t in absent if t in text]
        return Result(0, "", [f"{page}.html: {', '.join(missing)}"]) if missing else None
    return check


def change(action: Callable[[Scratch], object]) -> Callable[[Scratch], None]:
    def run(s: Scratch):
        action(s)
    return run


def page_text(s: Scratch, page: str) -> str:
    path = s.root / "_build" / "html" / "chapters" / f"{page}.html"
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))) if path.exists() else ""


# ---------------------------------------------------------------------------------------------
# Attacks that need their own run

def interrupted(sig: int, after: float, wrapper=False, edit=True) -> Callable[[Scratch], Result]:
    """Edit the data (so the build executes), start the build, send ``sig`` after ``after``
    seconds (to the whole process group, as a terminal's Ctrl-C does; to the parent shell
    alone with ``wrapper``), and check that no process of the build survives."""
    def run(s: Scratch) -> Result:
        if edit:
            s.edit(LENGTHS, AFP, AFP.replace("1300", "1310"))
        process = s.start("build", "html", wrapper=wrapper)
        time.sleep(after)
        if process.poll() is not None:
            return Result(process.returncode, process.stdout.read(), [f"the build ended before {after} s"])
        family = descendants(process.pid)
        if wrapper:
            os.kill(process.pid, sig)
        else:
            os.killpg(process.pid, sig)
        output = process.communicate(timeout=300)[0]
        time.sleep(3)
        alive = [pid for pid in family if os.path.exists(f"/proc/{pid}") and not zombie(pid)]
        notes = [f"{len(alive)} process(es) of the build still running"] if alive else []
        for pid in alive:
            os.kill(pid, signal.SIGKILL)
        return Result(process.returncode, output, notes)
    return run


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        children = parents.get(stack.pop(), [])
        found += children
        stack += children
    return found


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def pdf_built(s: Scratch):
    """A setup: the PDF published (and offered in the HTML) before the snapshot of the outputs."""
    code, output = s.run("build", "pdf", timeout=1800)
    if code:
        raise RuntimeError("the first PDF build failed: " + " | ".join(output.strip().splitlines()[-6:]))


def interrupted_during_latex(s: Scratch) -> Result:
    """With the PDF built (:func:`pdf_built`), edit the prose, start a PDF build and Ctrl-C it
    once XeLaTeX runs."""
    s.edit(CHAPTER, PLAN, "A sentence added to the introduction.\n\n" + PLAN)
    pdf = s.root / "_build" / "pdf" / "taliban-at-the-border.pdf"
    before = pdf.read_bytes()
    process = s.start("build", "pdf")
    deadline, seen = time.time() + 900, False
    while time.time() < deadline and process.poll() is None:
        if any("xelatex" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
               for pid in descendants(process.pid) if os.path.exists(f"/proc/{pid}/cmdline")):
            seen = True
            break
        time.sleep(0.2)
    if not seen:
        process.kill()
        return Result(process.wait(), process.stdout.read(), ["XeLaTeX was never seen running"])
    time.sleep(1)
    family = descendants(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    output = process.communicate(timeout=300)[0]
    time.sleep(3)
    alive = [pid for pid in family if os.path.exists(f"/proc/{pid}") and not zombie(pid)]
    notes = [f"{len(alive)} process(es) of the build still running"] if alive else []
    if pdf.read_bytes() != before:
        notes.append("the PDF changed")
    return Result(process.returncode, output, notes)


def two_builds_at_once(s: Scratch) -> Result:
    s.edit(LENGTHS, AFP, AFP.replace("1300", "1310"))
    first = s.start("build", "html")
    time.sleep(0.5)
    second = s.start("build", "html")
    outputs = [p.communicate(timeout=900)[0] for p in (first, second)]
    executed = sum(len(re.findall(r"Executed notebook", o)) for o in outputs)
    notes = [] if executed == 1 else [f"{executed} executions in all (one expected)"]
    if first.returncode or second.returncode:
        notes.append(f"exits {first.returncode} and {second.returncode}")
    text = page_text(s, "01-introduction")
    if "about 1,310 km" not in text:
        notes.append("01-introduction.html does not print about 1,310 km")
    return Result(first.returncode or second.returncode, "\n".join(outputs), notes)


def reproduce_out(target: Callable[[Scratch], str]) -> Callable[[Scratch], Result]:
    def run(s: Scratch) -> Result:
        return Result(*s.run("reproduce", "--out", target(s)))
    return run


def outside(s: Scratch) -> str:
    """A non-empty folder outside the project, like a home folder."""
    folder = s.root.parent / "home-like"
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_text("a person's file\n")
    (folder / "projects").mkdir(exist_ok=True)
    return str(folder)


def tamper_svg(s: Scratch):
    svg = s.path("figures/fig-border-lengths.svg")
    svg.write_text(svg.read_text(encoding="utf-8").replace("</svg>", "<!-- tampered --></svg>"), encoding="utf-8")


def tamper_numbers_csv(s: Scratch):
    s.edit("figures/numbers.csv", "about 1,300 km", "about 9,999 km")


def tamper_numbers_json(s: Scratch):
    s.edit("figures/numbers.json", '"text": "about 1,300 km"', '"text": "about 9,999 km"')


def corrupt_cache_index(s: Scratch):
    index = s.root / "_build" / ".jupyter_cache" / "global.db"
    index.write_bytes(b"this is not a database\n" * 64)


def delete_cache_notebook(s: Scratch):
    notebooks = sorted((s.root / "_build" / ".jupyter_cache" / "executed").glob("*/base.ipynb"))
    notebooks[0].unlink()


def legit_edit(s: Scratch):
    s.edit(LENGTHS, AFP, AFP.replace("1300", "1310"))


def read_only_figures(s: Scratch):
    legit_edit(s)
    os.chmod(s.path("figures"), 0o555)
    if os.geteuid() == 0:   # root writes through a mode; an immutable folder binds root too
        subprocess.run(["chattr", "+i", str(s.path("figures"))], check=True)


def writable_figures(s: Scratch):
    writable(s.path("figures"))
    s.undo()


def writable(folder: Path):
    if os.geteuid() == 0 and folder.exists():
        subprocess.run(["chattr", "-i", str(folder)], check=False, capture_output=True)
    if folder.exists():
        os.chmod(folder, 0o755)


def drop_stash(s: Scratch):
    s.git("stash", "drop", check=False)
    s.undo()


def remove_outside(s: Scratch):
    shutil.rmtree(s.root.parent / "home-like", ignore_errors=True)
    s.undo()


def without_resource(s: Scratch):
    package = json.loads(s.path(PACKAGE).read_text(encoding="utf-8"))
    package["resources"] = [r for r in package["resources"] if r["name"] != "border_lengths"]
    s.path(PACKAGE).write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def without_bib_entry(s: Scratch):
    bib = s.path("references.bib").read_text(encoding="utf-8")
    entry = re.search(r"@\w+\{afp2021refugees,.*?\n\}\n", bib, re.DOTALL)
    s.path("references.bib").write_text(bib.replace(entry.group(0), ""), encoding="utf-8")


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


WHERE_VALUE = rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'value'"
FIGURE_TYPED = (r"01-introduction\.md: PublishError: figure 'fig-border-lengths' of chapter 01-introduction: "
                r"a quantity typed by hand in its ")


def caption_in_variable(s: Scratch):
    """A typed quantity reaching ``ch.figure`` through a name assigned in the chapter's code."""
    s.edit(CHAPTER, "ch.figure(\n", 'label = "Published lengths, about 1300 km. "\nch.figure(\n')
    s.edit(CHAPTER, 'caption="Published lengths', 'caption=label + "Published lengths')


def caption_computed(s: Scratch):
    """A caption with a calendar date and a number the code computed: not typed, so published."""
    s.edit(CHAPTER, 'shapes show how each source states its figure."',
           'shapes show how each source states its figure, as of 5 July 2021, officially "\n'
           '            f"{ch.numbers[\'length-mfa\']}."')

ATTACKS = [
    # --- the quantity schema, column by column (border_lengths.csv, read by the introduction)
    data("string-required-empty", "length of the Tajik–Afghan border,1300,", ",1300,",
         rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'measure'"),
    data("number-as-text", AFP, AFP.replace("1300", "about 1300"), WHERE_VALUE),
    data("number-nan", AFP, AFP.replace("1300", "NaN"), WHERE_VALUE),
    data("number-inf", AFP, AFP.replace("1300", "INF"), WHERE_VALUE),
    data("number-negative", AFP, AFP.replace("1300", "-1300"), WHERE_VALUE),
    data("number-comma-decimal", AFP, AFP.replace("1300", '"1300,5"'), WHERE_VALUE),
    data("range-high-negative", AFP, AFP.replace("1300,,", "1300,-5,"),
         rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'value_high'"),
    data("enum-bound", AFP, AFP.replace("approx", "roughly"), rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'bound'"),
    data("enum-kind", AFP, AFP.replace("reported", "rumoured"), rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'kind'"),
    data("pattern-id", "\nafp,", "\nAFP Row,", rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'id'"),
    data("duplicate-id", "\nafp,", "\npaper,", rf"border_lengths\.csv.*\n?.*{AFP_ROW}.*field 'id'"),
    data("pattern-statement", AFP, AFP.replace("reported,,", "reported,X003,"),
         rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'statement'"),
    data("required-unit-empty", AFP, AFP.replace(",km,", ",,"), rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'unit'"),
    data("required-source-empty", AFP, AFP.replace("afp2021refugees", ""),
         rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'source'"),
    data("required-locator-empty", 'afp2021refugees,"""around 1,300 km (810 mi)"""', "afp2021refugees,",
         rf"border_lengths\.csv.*\n?.*{AFP_ROW}, field 'locator'"),
    data("source-not-in-bib", AFP, AFP.replace("afp2021refugees", "nosuchkey2099"),
         rf"border_lengths\.csv, {AFP_ROW}, field 'source': 'nosuchkey2099'"),
    data("extra-column", "source,locator,note\n", "source,locator,note,extra\n", r"border_lengths\.csv"),
    data("short-row", AFP + '"""around 1,300 km (810 mi)""",read from the utv.com.pk and TRT World copies',
         AFP.rsplit(",", 3)[0], rf"border_lengths\.csv.*\n?.*{AFP_ROW}"),
    # --- encodings and file shapes
    Attack("latin-1-bytes", bytes_edit(LENGTHS, lambda raw: raw.replace("é".encode(), b"\xe9", 1)),
           where=r"border_lengths\.csv.*(line|row) 2"),
    Attack("byte-order-mark", bytes_edit(LENGTHS, lambda raw: b"\xef\xbb\xbf" + raw), expect="ok"),
    Attack("crlf-line-endings", bytes_edit(LENGTHS, crlf), expect="ok"),
    Attack("header-only-csv", bytes_edit(LENGTHS, lambda raw: raw.split(b"\n")[0] + b"\n"),
           where=r"border_lengths\.csv: only a header row"),
    Attack("empty-csv", bytes_edit(LENGTHS, lambda raw: b""), where=r"border_lengths\.csv"),
    Attack("missing-csv", then_build(lambda s: s.path(LENGTHS).unlink()), where=r"border_lengths\.csv"),
    Attack("events-bad-date", edited("data/raw/events.csv", "east-badakhshan-taken,2021-07-05,",
                                     "east-badakhshan-taken,5 July 2021,"),
           where=r"events\.csv.*\n?.*row 3, field 'date'"),
    # --- schema and descriptor
    Attack("schema-maximum", edited(QUANTITY, '"minimum": 0}},', '"minimum": 0, "maximum": 1000}},'),
           where=r"border_lengths\.csv.*\n?.*row \d+, field 'value'"),
    Attack("schema-type-integer", edited(QUANTITY, '"name": "value", "type": "number"',
                                         '"name": "value", "type": "integer"'),
           where=r"border_lengths\.csv.*\n?.*row \d+, field 'value'"),
    Attack("schema-stray-comma", edited(QUANTITY, '"fields": [', '"fields": [,'),
           where=r"quantity\.json, line \d+"),
    Attack("descriptor-stray-comma", edited(PACKAGE, '"resources": [', '"resources": [,'),
           where=r"datapackage\.json, line \d+, column \d+"),
    Attack("descriptor-resource-removed", then_build(without_resource), where=r"datapackage\.json.*border_lengths|border_lengths.*datapackage\.json"),
    Attack("descriptor-wrong-path", edited(PACKAGE, '"raw/border_lengths.csv"', '"raw/border_length.csv"'),
           where=r"border_length\.csv"),
    Attack("bib-entry-removed", then_build(without_bib_entry), where=r"afp2021refugees"),
    # --- prose (chapters/01-introduction.md)
    prose("typed-quantity", "The border is 1,344 km long.", r"01-introduction\.md:\d+: WARNING: quantity typed"),
    prose("number-word", "It has three districts.", r"01-introduction\.md:\d+: WARNING: quantity typed"),
    prose("year-like-count", "More than 2000 workers came.", r"01-introduction\.md:\d+: WARNING: quantity typed"),
    prose("glue-missing-key", "{glue}`no-such-number`", r"01-introduction\.md:\d+: WARNING: No key 'no-such-number'"),
    prose("glue-cross-page", "{glue}`numbers.md::length-mfa`", r"01-introduction\.md:\d+: WARNING: .*another page"),
    prose("glue-directive-doc", "```{glue} length-mfa\n:doc: numbers.md\n```", r"01-introduction\.md:\d+: WARNING: .*another page"),
    prose("footnote-undefined", "A claim.[^missing]", r"01-introduction\.md:\d+: WARNING: footnote \[\^missing\]"),
    prose("citation-unknown", "A claim.{footcite}`nosuchwork2099`", r"01-introduction\.md:\d+: WARNING: .*nosuchwork2099"),
    prose("doc-link-missing", "See {doc}`nosuchpage`.", r"01-introduction\.md:\d+: WARNING: .*nosuchpage"),
    Attack("glue-unused", edited(CHAPTER, "a spread of {glue}`length-spread`", "a wide spread"),
           where=r"'length-spread' \(chapter 01-introduction\) is used by no page"),
    # --- figure captions and alt texts written in a chapter's code (ch.figure)
    Attack("caption-digits", edited(CHAPTER, 'caption="Published lengths', 'caption="The 8 published lengths'),
           where=FIGURE_TYPED + r"caption \('The 8 published lengths"),
    Attack("caption-quantity-in-variable", then_build(caption_in_variable),
           where=FIGURE_TYPED + r"caption \('.*about 1300 km"),
    Attack("alt-number-word", edited(CHAPTER, 'alt="Dot chart of the published', 'alt="Dot chart of eleven published'),
           where=FIGURE_TYPED + r"alt text \('Dot chart of eleven published"),
    Attack("caption-computed-and-dated", steps(change(caption_computed), build(),
                                               shows("as of 5 July 2021, officially 1,344.15 km")), expect="ok"),
    Attack("chapter-raises", edited(CHAPTER, "ch.finish()", "raise ValueError('boom')\nch.finish()", ),
           where=r"01-introduction\.md: ValueError: boom"),
    Attack("chapter-syntax-error", edited(CHAPTER, "ch.finish()", "ch.finish(("),
           where=r"01-introduction\.md: SyntaxError"),
    # --- the table of contents
    Attack("toc-missing-page", edited("_toc.yml", "chapters/glossary\n", "chapters/glosary\n"),
           where=r"_toc\.yml, entry 'chapters/glosary': no file chapters/glosary\.md; did you mean "
                 r"'chapters/glossary'\? correct the name"),
    Attack("toc-bad-key", edited("_toc.yml", "- file: chapters/glossary", "- fiel: chapters/glossary"),
           where=r"_toc\.yml, entry 'fiel: chapters/glossary': entry does not contain one of"),
    Attack("toc-misspelt-key", edited("_toc.yml", "- file: chapters/glossary", "- file: chapters/glossary\n    titel: Terms"),
           where=r"_toc\.yml, entry 'file: chapters/glossary, titel: Terms': Unknown keys found: \{'titel'\}"),
    Attack("toc-bad-indentation", edited("_toc.yml", "  - file: chapters/glossary", "   - file: chapters/glossary"),
           where=r"_toc\.yml, line \d+: not valid YAML"),
    Attack("toc-page-twice", edited("_toc.yml", "  - file: chapters/glossary\n",
                                    "  - file: chapters/glossary\n  - file: chapters/glossary\n"),
           where=r"_toc\.yml: document file used multiple times: 'chapters/glossary'; list each page once"),
    # --- reverts
    Attack("edit-then-git-checkout", steps(change(legit_edit), build(), shows("about 1,310 km"),
                                           change(lambda s: s.git("checkout", "--", LENGTHS)), build()),
           expect="ok", ghosts=("about 1,310 km",)),
    Attack("edit-then-git-stash", steps(change(legit_edit), build(), shows("about 1,310 km"),
                                        change(lambda s: s.git("stash")), build()),
           expect="ok", undo=drop_stash, ghosts=("about 1,310 km",)),
    Attack("nan-then-git-checkout", steps(change(lambda s: s.edit(LENGTHS, AFP, AFP.replace("1300", "NaN"))), failing_build,
                                          change(lambda s: s.git("checkout", "--", LENGTHS)), build()),
           expect="ok", ghosts=("nan",)),
    Attack("failed-build-revert-prose-edit",
           steps(change(lambda s: (legit_edit(s), s.edit("chapters/glossary.md", "ch.finish()",
                                                         "raise AssertionError('glossary check')\nch.finish()"))),
                 failing_build, change(lambda s: s.undo()),
                 change(lambda s: s.edit(CHAPTER, PLAN, "A sentence added to the introduction.\n\n" + PLAN)),
                 build()),
           expect="ok", ghosts=("about 1,310 km",)),
    Attack("data-ok-prose-fails", steps(change(lambda s: (legit_edit(s), s.edit(CHAPTER, PLAN, "It is 1,344 km.\n\n" + PLAN))),
                                        build()),
           where=r"01-introduction\.md:\d+: WARNING: quantity typed"),
    # --- faults
    Attack("cache-notebook-deleted", steps(change(delete_cache_notebook), change(legit_edit), build(),
                                           shows("about 1,310 km")),
           expect="ok", where=r"damaged; dropped, the chapter runs again", todo=False),
    Attack("cache-index-corrupt", steps(change(corrupt_cache_index), change(legit_edit), build(),
                                        shows("about 1,310 km")),
           expect="ok", where=r"\.jupyter_cache", todo=False),
    Attack("cache-deleted", steps(change(lambda s: shutil.rmtree(s.root / "_build" / ".jupyter_cache")),
                                  change(legit_edit), build(), shows("about 1,310 km")), expect="ok"),
    Attack("figures-deleted", then_build(lambda s: shutil.rmtree(s.path("figures"))), expect="ok"),
    Attack("html-deleted", then_build(lambda s: shutil.rmtree(s.root / "_build" / "html")), expect="ok"),
    Attack("figures-read-only", then_build(read_only_figures), where=r"cannot write figures/.*Make figures/ writable",
           undo=writable_figures),
    Attack("two-builds-at-once", two_builds_at_once, expect="ok",
           where=r"Another build of this project is running", todo=False),
    Attack("sigint-at-3s", interrupted(signal.SIGINT, 3), expect="130",
           where=r"Interrupted; nothing published", todo=False),
    Attack("sigterm-at-3s", interrupted(signal.SIGTERM, 3), expect="130",
           where=r"Interrupted; nothing published", todo=False),
    Attack("sigterm-to-parent-shell", interrupted(signal.SIGTERM, 6, wrapper=True), expect="fail",
           where=r"Interrupted; nothing published", todo=False),
    Attack("sigkill-at-3s", interrupted(signal.SIGKILL, 3), expect="fail", where=None, todo=False),
    Attack("sigint-during-latex", interrupted_during_latex, expect="130", where=r"Interrupted; nothing published",
           todo=False, setup=pdf_built, guard=("figures", "_build/html"), recover_kinds=("html", "pdf")),
    # --- misuse of the commands
    Attack("reproduce-out-dot", reproduce_out(lambda s: "."), expect="2", where=r"--out .*choose", guard=("ALL",)),
    Attack("reproduce-out-parent", reproduce_out(lambda s: ".."), expect="2", where=r"--out .*choose", guard=("ALL",)),
    Attack("reproduce-out-chapters", reproduce_out(lambda s: "chapters"), expect="2", where=r"--out .*choose", guard=("ALL",)),
    Attack("reproduce-out-build", reproduce_out(lambda s: "_build"), expect="2", where=r"--out .*choose", guard=("ALL",)),
    Attack("reproduce-out-git", reproduce_out(lambda s: ".git"), expect="2", where=r"--out .*choose", guard=("ALL",)),
    Attack("reproduce-out-figures", reproduce_out(lambda s: "figures"), expect="2", where=r"--out .*choose", guard=("ALL",)),
    Attack("reproduce-out-data", reproduce_out(lambda s: "data/raw"), expect="2", where=r"--out .*choose", guard=("ALL",)),
    Attack("reproduce-out-home-like", reproduce_out(lambda s: str(s.root.parent / "home-like")), expect="2",
           where=r"--out .*choose", setup=outside, guard=("ALL", "OUTSIDE"), undo=remove_outside),
    Attack("reproduce-out-file", reproduce_out(lambda s: "README.md"), expect="2", where=r"--out .*choose", guard=("ALL",)),
    Attack("reproduce-unknown-parameter", command("reproduce", "nosuch=1"), expect="2",
           where=r"no chapter declares nosuch; known parameters", guard=("ALL",)),
    Attack("reproduce-malformed-parameter", command("reproduce", "fx_date"), expect="2",
           where=r"'fx_date': parameters are written name=value", guard=("ALL",)),
    Attack("verify-tampered-figure", command("verify"), setup=tamper_svg, expect="1",
           where=r"fig-border-lengths\.svg", guard=("figures",)),
    Attack("verify-tampered-numbers-csv", command("verify"), setup=tamper_numbers_csv, expect="1",
           where=r"numbers\.csv", guard=("figures",)),
    Attack("build-tampered-register", steps(change(tamper_numbers_json), build(),
                                            shows(page="numbers", absent=("about 9,999 km",)),
                                            shows(absent=("about 9,999 km",))),
           expect="ok", ghosts=("9,999",)),
    Attack("build-from-another-folder", command("build", "html", cwd="/"), expect="ok"),
]


# ---------------------------------------------------------------------------------------------

def digests(s: Scratch, guard: tuple[str, ...]) -> dict:
    found = {}
    for part in guard:
        if part == "ALL":
            found[part] = tree_digest(s.root)
        elif part == "OUTSIDE":
            folder = s.root.parent / "home-like"
            found[part] = tree_digest(folder) if folder.exists() else {}
        else:
            folder = s.root / part
            found[part] = tree_digest(folder) if folder.exists() else {}
    pdf = s.root / "_build" / "pdf"
    if pdf.exists() and "ALL" not in guard:
        found["_build/pdf"] = tree_digest(pdf)
    return found


def clear(attack: Attack, output: str, failed: bool) -> str:
    """'yes', 'no' or 'n/a': the last lines name the place and say what to do."""
    if attack.where is None and not (failed and attack.todo):
        return "n/a"
    # the command's own last lines: Sphinx's and the kernels' lines are not its diagnosis
    lines = [line for line in ANSI.sub("", output).splitlines()
             if line.strip() and not re.match(r"\[(html|pdf|IPKernelApp)\]", line)]
    tail = "\n".join(lines[-TAIL:])
    named = attack.where is None or re.search(attack.where, tail) is not None
    told = not (failed and attack.todo) or TODO.search(tail) is not None
    no_traceback = "Traceback (most recent call last)" not in tail
    return "yes" if named and told and no_traceback else "no"


def html_says_data(s: Scratch, ghosts: tuple[str, ...]) -> list[str]:
    """What the recovered HTML gets wrong: a published number not printed in its page or the
    numbers appendix as the register says, or a value of the attack still printed."""
    register = json.loads(s.path("figures/numbers.json").read_text(encoding="utf-8"))
    problems = []
    pages = {}
    for name, number in register["numbers"].items():
        for page in (number["chapter"], "numbers"):
            if page not in pages:
                pages[page] = page_text(s, page)
            if number["text"] not in pages[page]:
                problems.append(f"{page}.html does not print {name} = {number['text']!r}")
    for ghost in ghosts:
        for page in ("01-introduction", "numbers"):
            text = pages.get(page) or page_text(s, page)
            if re.search(rf"(?<![\w,.]){re.escape(ghost)}(?![\w])", text):
                problems.append(f"{page}.html still prints {ghost!r}")
    return problems


def recover(s: Scratch, attack: Attack) -> tuple[bool, list[str]]:
    (attack.undo or Scratch.undo)(s)
    notes = []
    for kind in attack.recover_kinds:
        code, output = s.run("build", kind, timeout=1800)
        if code:
            notes.append(f"the build after the undo exited {code}: " + " | ".join(output.strip().splitlines()[-6:]))
    status = s.status()
    if status:
        notes.append(f"git status is not clean: {status.strip()}")
    if not notes:
        notes += html_says_data(s, attack.ghosts)
    return not notes, notes


def expected(attack: Attack, code: int) -> bool:
    if attack.expect == "fail":
        return code != 0
    if attack.expect == "ok":
        return code == 0
    return code == int(attack.expect)


def replay(s: Scratch, attack: Attack, verbose: bool) -> bool:
    failing = attack.expect != "ok"
    guard = attack.guard or (("figures", "_build/html") if failing else ())
    started = time.time()
    try:
        if attack.setup:
            attack.setup(s)
        before = digests(s, guard)
        result = attack.run(s)
    except Exception as error:   # the attack itself could not be applied
        result = Result(-1, f"{type(error).__name__}: {error}", ["the attack could not be applied"])
    exit_ok = expected(attack, result.code) and not result.notes
    is_clear = clear(attack, result.output, failing)
    if guard:
        after = digests(s, guard)
        changed = sorted(f"{part}/{name}" for part in before for name in
                         set(before[part]) ^ set(after.get(part, {})) |
                         {n for n in before[part] if before[part].get(n) != after.get(part, {}).get(n)})
        preserved = "no" if changed else "yes"
    else:
        changed, preserved = [], "n/a"
    recovered, notes = recover(s, attack)
    passed = exit_ok and is_clear != "no" and preserved != "no" and recovered
    print(f"{'PASS' if passed else 'FAIL'}  {attack.name:<32} exit={result.code:<4} clear={is_clear:<4} "
          f"preserved={preserved:<4} recovers={'yes' if recovered else 'no':<4} ({time.time() - started:.0f} s)",
          flush=True)
    if not passed or verbose:
        for note in result.notes + [f"changed: {', '.join(changed[:6])}"] * bool(changed) + notes:
            print(f"      ! {note}")
        lines = [line for line in ANSI.sub("", result.output).splitlines() if line.strip()]
        for line in lines[-12:]:
            print(f"      | {line[:220]}")
    return passed, recovered


def reset(s: Scratch, pristine: Path) -> None:
    """Back to the scratch copy as it was after its first build."""
    writable(s.root / "figures")
    shutil.rmtree(s.root)
    shutil.copytree(pristine, s.root, symlinks=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.attack", description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", action="append", default=[], help="replay only attacks whose name contains this")
    parser.add_argument("--from", dest="first", help="replay from the attack of this name on")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and print its path")
    parser.add_argument("-v", action="store_true", help="print the last lines of every attack's output")
    arguments = parser.parse_args(argv)
    # A shell starts a background job with SIGINT ignored, and an ignored signal stays ignored
    # in every child: the builds would not hear the Ctrl-C of the signal attacks. Handled here,
    # it is back to its default in each child.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    chosen = [a for a in ATTACKS if not arguments.k or any(k in a.name for k in arguments.k)]
    if arguments.first:
        names = [a.name for a in ATTACKS]
        chosen = [a for a in chosen if names.index(a.name) >= names.index(arguments.first)]
    if not chosen:
        print("no attack matches", file=sys.stderr)
        return 2
    workspace = Path(tempfile.mkdtemp(prefix="borderbook-attack-"))
    try:
        s = Scratch(workspace / "book")
        started = time.time()
        code, output = s.build()
        if code:
            print(output[-3000:], "\nthe scratch copy does not build: no attack replayed", file=sys.stderr)
            return 1
        s.git("init", "-q", "-b", "main")
        s.git("add", "-A")
        s.git("commit", "-q", "-m", "scratch copy")
        code, output = s.build()   # the commit date reaches the PDF only; the HTML is up to date
        if code or s.status():
            print(output[-3000:], s.status(), "\nthe scratch copy is not clean after a build", file=sys.stderr)
            return 1
        pristine = workspace / "pristine"
        shutil.copytree(s.root, pristine, symlinks=True)
        print(f"Scratch copy built in {time.time() - started:.0f} s: {s.root}\n"
              f"Replaying {len(chosen)} attacks.\n", flush=True)
        failed = []
        for attack in chosen:
            passed, recovered = replay(s, attack, arguments.v)
            if not passed:
                failed.append(attack.name)
            if not recovered:
                reset(s, pristine)
        print(f"\n{len(chosen) - len(failed)} of {len(chosen)} attacks pass"
              + (f"; failing: {', '.join(failed)}" if failed else "."))
        return 1 if failed else 0
    finally:
        if arguments.keep:
            print(f"Scratch folder kept: {workspace}")
        else:
            writable(workspace / "book" / "figures")
            shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
