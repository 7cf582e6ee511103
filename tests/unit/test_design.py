"""Rules of the code that keep it simple to live in: no hidden state in the helper package, no
lambdas or rounding helpers in the chapters (inputs are rows, bounds round themselves; a
"table:row" string as an input is refused by the chapter object itself)."""

import ast

import pytest

from borderbook import freshness, paths

MODULES = sorted((paths.ROOT / "borderbook").rglob("*.py"))
MUTABLE = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(paths.ROOT)))
def test_no_module_level_mutable_state(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    mutable = [node.lineno for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
               and (isinstance(node.value, MUTABLE) or isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", "") in ("dict", "list", "set", "defaultdict"))]
    rebound = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Global)]
    assert mutable == [] and rebound == [], f"module-level mutable state at lines {mutable + rebound}"


def _chapters():
    return sorted(paths.CHAPTERS.glob("*.md"))


@pytest.mark.parametrize("chapter", _chapters(), ids=lambda path: path.name)
def test_chapters_define_no_lambda_and_no_rounding_helper(chapter):
    for cell in freshness.code_cells(chapter):
        tree = ast.parse(cell)
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)], f"a lambda in {chapter.name}"
        helpers = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                   and any(word in n.name for word in ("floor", "ceil", "round"))]
        assert helpers == [], f"{chapter.name} rounds by hand ({helpers}): publish with a bound instead"
