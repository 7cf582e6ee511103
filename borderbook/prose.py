"""Find quantities typed by hand into the prose of a chapter.

The book's rule: every count, amount, price, percentage, ratio, duration or distance
in the text comes from a computation over ``data/`` and is pasted with glue. This
module strips from a MyST chapter everything that may legitimately hold digits
(code cells, directives, roles such as glue and citations, links, calendar dates, years
and the commented allow-list below) and reports every digit that is left, and every
number word ("three districts", "two weeks") outside a quotation. The caption and alt
text of a figure directive written in Markdown are prose too, and so are those a chapter's
code passes to ``ch.figure``: :func:`figure_literals` finds the text typed in its source.

It reads the source, not the doctree, on purpose: MyST-NB renders a same-page glue paste
while it parses, so in the doctree a pasted number, or a figure's caption computed in a
code cell, is text like any other, with nothing to tell it from what the author typed.
The source is exactly what the author typed.
"""

import ast
import re
from pathlib import Path

MONTHS = ("January|February|March|April|May|June|July|August|September|October|"
          "November|December")

#: text that may hold digits in prose, each with the reason it is not a quantity
ALLOWED = (
    r"CAP Paper No\.\s*267",       # the series number of the paper this book edits
    r"CC BY 4\.0|Attribution 4\.0",  # the licence's version
    r"\bCASA-1000\b",              # the name of a power project
    r"\bCOVID-19\b",               # the name of a disease
    r"\bSHA-256\b",                # the name of a checksum
    r"\b(?:UN|SCO|CSTO)?\s*\d+(?:st|nd|rd|th) (?:session|anniversary)",  # ordinals that name events
    r"\bArticle \d+\b",            # an article of a treaty
    r"\bISO \d+(?:-\d)?\b",        # a standard's name
    r"\bin (?:million|billion) (?:kWh|US\$|dollars|somoni)\b|\(\w+, US\$ (?:million|billion)\)",  # an axis's unit
)

#: words that make the number before them a quantity, not a year ("1900 km", "2000 workers")
UNITS = (r"(?:km|kilomet\w*|mile\w*|met(?:er|re)s?|hectares?|tonnes?|tons|people|persons|men|women|"
         r"children|workers|migrants|refugees|troops|soldiers|fighters|guards|families|households|"
         r"villages|districts|vehicles|trucks|cars|crossings|doctors|patients|cases|deaths|students|"
         r"dollars|somoni|US\$|USD|%|per ?cent|days|weeks|months|years|hours|decades|MW|kWh|GWh|"
         r"million|billion|thousand|hundred)\b")
#: words that make the number after them a quantity
QUALIFIERS = r"(?:more than|less than|fewer than|at least|at most|up to|about|some|over|nearly|almost|around)\s+"
#: number words: from three on they always count; "one" and "two" when a unit follows them
NUMBER_WORDS = re.compile(
    r"\b(?:three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundreds?|thousands?|millions?|billions?|dozens?)\b"
    r"|\b(?:one|two|a)[\s-]+(?:" + UNITS[3:], re.IGNORECASE)

#: what is not running text: the jupytext header, and code cells and directives (but a
#: figure directive's caption and alt text are kept)
_BLOCKS = (
    (re.compile(r"^---\n.*?\n---\n", re.DOTALL), "front matter"),
    (re.compile(r"^(`{3,}|~{3,}|:{3,})(?!\{figure\}).*?^\1\s*$", re.DOTALL | re.MULTILINE), "fenced block"),
    (re.compile(r"^(?:`{3,}|:{3,})\{figure\}.*$|^:(?!alt:)[\w-]+:.*$|^:alt:|^(?:`{3,}|:{3,})\s*$",
                re.MULTILINE), "figure directive's lines other than caption and alt"),
)
_QUOTES = re.compile(r"“[^”]*”|«[^»]*»|\"[^\"\n]*\"")
_PATTERNS = (
    *_BLOCKS,
    (re.compile(r"\{[\w:-]+\}`[^`]*`"), "role"),
    (re.compile(r"`[^`]*`"), "inline code"),
    (re.compile(r"\]\([^)]*\)"), "link target"),
    (re.compile(r"<?https?://\S+"), "address"),
    (re.compile(r"\(\w[\w-]*\)="), "label"),
    (re.compile(rf"\b\d{{1,2}}(?:–\d{{1,2}})? (?:{MONTHS})(?: \d{{4}})?"), "date"),
    (re.compile(rf"\b(?:{MONTHS}) \d{{1,2}}(?!\d)(?:–\d{{1,2}})?(?:, \d{{4}})?"), "date"),
    (re.compile(rf"(?<!more than )(?<!less than )(?<!about )(?<!over )(?<!some )(?<!nearly )(?<!almost )"
                rf"\b(?:1[89]|20)\d\d(?:–(?:1[89]|20)?\d\d)?s?\b(?![.,]\d)(?!\s+{UNITS})"), "year"),
    (re.compile("|".join(ALLOWED)), "allowed"),
)


def _blank(match: re.Match) -> str:
    """Replace a match by spaces, keeping its newlines so line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def running_text(source: str) -> str:
    """A chapter's text without its front matter, code cells and directives (blanked, so that
    line numbers stay right)."""
    for pattern, _ in _BLOCKS:
        source = pattern.sub(_blank, source)
    return source


def typed_quantities(path: Path) -> list[tuple[int, str]]:
    """Return ``(line number, line)`` for every prose line of ``path`` left holding a digit."""
    return typed_quantities_in(Path(path).read_text(encoding="utf-8"))


def typed_quantities_in(source: str) -> list[tuple[int, str]]:
    """The same, for the text of a chapter."""
    text, words = _left_over(source)
    original = source.splitlines()
    return [(number, original[number - 1].strip())
            for number, (line, unquoted) in enumerate(zip(text.splitlines(), words.splitlines()), start=1)
            if _DIGIT.search(line) or NUMBER_WORDS.search(unquoted)]


def typed_quantities_in_text(text: str) -> list[str]:
    """The quantities typed into one piece of prose that is not a page (a figure's caption or
    alt text, written in a chapter's code): each offending word with a few words around it,
    by the same rule as :func:`typed_quantities_in`."""
    left, words = _left_over(text)
    spans = [m.span() for m in _DIGIT.finditer(left)] + [m.span() for m in NUMBER_WORDS.finditer(words)]
    tokens = [m.span() for m in re.finditer(r"\S+", text)]
    windows = []
    for start, end in sorted(spans):   # the words holding the match, and three either side
        held = [i for i, (a, b) in enumerate(tokens) if a < end and b > start]
        first, last = max(held[0] - 3, 0), min(held[-1] + 3, len(tokens) - 1)
        if windows and first <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], last)
        else:
            windows.append([first, last])
    return [text[tokens[first][0]:tokens[last][1]] for first, last in windows]


_DIGIT = re.compile(r"\d+")


def _left_over(source: str) -> tuple[str, str]:
    """``source`` with everything that may hold digits blanked (line numbers kept), and the same
    with quotations blanked too: a source's own words, quoted, are not the book's count."""
    text = source
    for pattern, _ in _PATTERNS:
        text = pattern.sub(_blank, text)
    return text, _QUOTES.sub(_blank, text)


_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:", re.MULTILINE)
_GLUE = re.compile(r"\{glue(?::\w+)?\}`(?:[^`]*::)?([\w-]+)(?::[^`]*)?`|^```\{glue(?::\w+)?\}\s+([\w-]+)",
                   re.MULTILINE)


def undefined_footnotes(source: str) -> list[tuple[int, str]]:
    """Markdown footnote references ``[^x]`` that have no ``[^x]:`` definition."""
    defined = set(_FOOTNOTE_DEF.findall(source))
    return [(source.count("\n", 0, match.start()) + 1, match.group(1))
            for match in _FOOTNOTE_REF.finditer(source) if match.group(1) not in defined]


_CROSS_PAGE = re.compile(r"\{glue(?::\w+)?\}`[^`]*::[^`]*`|^(?:`{3,}|:{3,})\{glue(?::\w+)?\}.*\n(?::\w+:.*\n)*?:doc:.*$",
                         re.MULTILINE)


def cross_page_pastes(source: str) -> list[tuple[int, str]]:
    """Glue pastes from another page (``{glue}`page.md::key```): Sphinx does not rebuild a page
    when a value it pastes from elsewhere changes, so the book refuses them."""
    return [(source.count("\n", 0, match.start()) + 1, " ".join(match.group(0).split()))
            for match in _CROSS_PAGE.finditer(source)]


def glue_keys(source: str) -> set[str]:
    """The glue keys a page pastes, by role or by directive."""
    return {inline or block for inline, block in _GLUE.findall(source)}


# Captions typed in code ---------------------------------------------------------------------

#: where ``ch.figure`` takes its texts when they are passed by position (after name and fig)
_FIGURE_TEXTS = (("caption", 2), ("alt", 3))


def figure_literals(source: str, line: int, sources: list[str]) -> dict[str, list[str]] | None:
    """The string literals the ``.figure(...)`` call on ``line`` of ``source`` writes into its
    caption and alt text (``{"caption": [...], "alt": [...]}``, None for a text it cannot trace);
    None if there is no such call to read. Names are followed to their assignments in
    ``sources`` (the chapter's code cells)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "figure"
             and node.lineno <= line <= node.end_lineno]
    if not calls:
        return None
    call = min(calls, key=lambda node: node.end_lineno - node.lineno)
    modules = []
    for text in sources:
        try:
            modules.append(ast.parse(text))
        except SyntaxError:
            pass
    assigned: dict[str, list[ast.AST]] = {}
    for module in modules:
        for node in ast.walk(module):
            if isinstance(node, ast.Assign):
                pairs = [(target, node.value) for target in node.targets]
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value:
                pairs = [(node.target, node.value)]
            elif isinstance(node, (ast.For, ast.comprehension)):
                pairs = [(node.target, node.iter)]
            else:
                pairs = []
            for target, value in pairs:   # a name unpacked from a tuple: all of its value, to be safe
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        assigned.setdefault(name.id, []).append(value)
    arguments = {what: call.args[position] for what, position in _FIGURE_TEXTS if position < len(call.args)}
    arguments.update({keyword.arg: keyword.value for keyword in call.keywords
                      if keyword.arg in dict(_FIGURE_TEXTS)})
    found = {}
    for what, argument in arguments.items():
        try:
            found[what] = _literals(argument, assigned, set())
        except _Untraced:   # e.g. a function's parameter: its text is checked as it is
            found[what] = None
    return found


class _Untraced(Exception):
    """A name whose value the chapter's code does not assign."""


def _literals(node: ast.AST, assigned: dict[str, list[ast.AST]], seen: set[str]) -> list[str]:
    """The text typed in the source of expression ``node``: its string constants, the constant
    parts of its f-strings (not their format specifications), followed through names,
    concatenations, containers and the methods of ``str``; a value computed otherwise (a call,
    an attribute such as ``ch.numbers``) adds nothing."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.JoinedStr):
        return [text for value in node.values for text in
                ([value.value] if isinstance(value, ast.Constant) else _literals(value.value, assigned, seen))]
    if isinstance(node, ast.BinOp):
        left = _literals(node.left, assigned, seen)
        if isinstance(node.op, ast.Mod):   # "%.1f km" % x: the conversion is not typed text
            left = [re.sub(r"%[-+ #0-9.]*[a-zA-Z%]", " ", text) for text in left]
        return left + _literals(node.right, assigned, seen)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [text for element in node.elts for text in _literals(element, assigned, seen)]
    if isinstance(node, ast.Dict):   # captions["fig-x"]: every value a dict literal holds
        return [text for value in node.values for text in _literals(value, assigned, seen)]
    if isinstance(node, ast.Subscript):
        return _literals(node.value, assigned, seen)
    if isinstance(node, ast.IfExp):
        return _literals(node.body, assigned, seen) + _literals(node.orelse, assigned, seen)
    if isinstance(node, ast.Name) and node.id not in seen:
        if node.id not in assigned:
            raise _Untraced(node.id)
        seen.add(node.id)
        return [text for value in assigned[node.id] for text in _literals(value, assigned, seen)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _STRING_METHODS:
        receiver = _literals(node.func.value, assigned, seen)
        if node.func.attr == "format":   # "{:,.0f} km".format(x): the fields are not typed text
            receiver = [re.sub(r"\{[^{}]*\}", " ", text) for text in receiver]
        return receiver + [text for argument in node.args for text in _literals(argument, assigned, seen)]
    return []


#: the methods of ``str`` whose result is made of their receiver's and arguments' text
_STRING_METHODS = frozenset({"format", "join", "replace", "strip", "lstrip", "rstrip", "capitalize",
                             "lower", "upper", "title"})
