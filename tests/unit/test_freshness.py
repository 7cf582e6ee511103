"""The one freshness rule: a chapter is fresh iff its run matches the tree and the cache serves
that run; each kind of input makes it stale, and so does a cached execution of other inputs."""

import shutil

import pytest

from borderbook import freshness, paths

CHAPTER = "chapters/03-closed-border.md"
INPUTS = ["data/raw/prices.csv", "data/schemas/quantity.json", "data/datapackage.json", "borderbook/style.py"]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A copy of the files a chapter's run names, as the project root; and a fresh run of it."""
    for name in [CHAPTER, *INPUTS]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(paths.ROOT / name, tmp_path / name)
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    notebook = tmp_path / CHAPTER
    run = {"inputs": {name: freshness.checksum(tmp_path / name) for name in INPUTS},
           "code": freshness.code_checksum(notebook), "parameters": freshness.declared_parameters(notebook),
           "published": freshness.published({"n": {"text": "1"}}, {})}
    assert freshness.stale(notebook, run, freshness.digest(run), run["published"]) == []
    return tmp_path, notebook, run


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("name, old, new", [
    ("data/raw/prices.csv", "oil-market,", "oil-market ,"),                       # a CSV
    ("data/schemas/quantity.json", '"minimum": 0', '"minimum": 1'),                # a schema
    ("data/datapackage.json", '"title"', '"title" '),                            # the descriptor
    ("borderbook/style.py", '"""', '"""Edited. '),                                 # a helper module
])
def test_each_input_file_makes_the_chapter_stale(tree, name, old, new):
    root, notebook, run = tree
    _edit(root / name, old, new)
    assert freshness.stale(notebook, run, freshness.digest(run), run["published"]) == [f"{name} changed"]


def test_chapter_code_makes_it_stale_and_prose_does_not(tree):
    root, notebook, run = tree
    _edit(notebook, "## Prices on the Tajik bank", "## Prices on the Tajik side")
    assert freshness.stale(notebook, run, freshness.digest(run), run["published"]) == []
    _edit(notebook, "figures_dir = None", "figures_dir = None  # edited")
    assert freshness.stale(notebook, run, freshness.digest(run), run["published"]) == ["03-closed-border.md (code cells) changed"]


def test_a_parameter_makes_it_stale(tree):
    root, notebook, run = tree
    _edit(notebook, 'fx_date = "2021-07-01"', 'fx_date = "2021-10-08"')
    assert "its parameters changed" in freshness.stale(notebook, run, freshness.digest(run), run["published"])


def test_a_cached_execution_of_other_inputs_is_not_served(tree):
    # The revert: the register's run matches the tree again, the cache still holds the edit's run.
    root, notebook, run = tree
    other = {**run, "inputs": {**run["inputs"], "data/raw/prices.csv": "0" * 64}}
    assert freshness.stale(notebook, run, freshness.digest(other), run["published"]) == [
        "the cached execution was made from other inputs"]
    assert freshness.stale(notebook, run, None, run["published"]) == ["no cached execution"]


def test_a_register_edited_by_hand_makes_it_stale(tree):
    # the attack catalogue: "about 9,999 km" typed into figures/numbers.json was printed
    root, notebook, run = tree
    edited = freshness.published({"n": {"text": "9,999"}}, {})
    assert freshness.stale(notebook, run, freshness.digest(run), edited) == [
        "figures/numbers.json does not hold what it published (edited by hand?)"]


def test_a_chapter_never_published_is_stale(tree):
    root, notebook, run = tree
    assert freshness.stale(notebook, None, None, None) == ["never published here"]


def test_a_cache_index_that_is_not_a_database_is_dropped(tmp_path):
    # The attack catalogue: a corrupt global.db ended every build in a raw DatabaseError.
    from borderbook import cache

    (tmp_path / "cache" / "executed").mkdir(parents=True)
    (tmp_path / "cache" / "global.db").write_bytes(b"not a database")
    said = []
    assert cache.served(tmp_path / "cache", said.append) == {}
    assert not (tmp_path / "cache").exists() and "was not a database" in said[0]
