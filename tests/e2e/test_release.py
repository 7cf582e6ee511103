"""`make release`: a zip that carries the editions, the data and, in an RO-Crate, how each output
was made; refused for a dirty tree or a failing verification."""

import hashlib
import json
import subprocess
import zipfile

import pytest

from borderbook import paths, release
from tests.conftest import PDF

EPUB = paths.BUILD / "epub" / "taliban-at-the-border.epub"


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """The release written from the published editions and the tree, unpacked."""
    if not (PDF.exists() and EPUB.exists() and (paths.BUILD / "html" / "index.html").exists()):
        pytest.fail("the editions are missing: run `make book` first")
    out = tmp_path_factory.mktemp("release")
    archive = release.write(out)
    info = release.edition()
    assert archive.name == f"taliban-at-the-border-{info['version']}.zip"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(out / "unpacked")
    return out / "unpacked" / archive.stem


def test_the_zip_holds_the_editions_the_data_and_the_environment(unpacked):
    for name in ["html/index.html", "taliban-at-the-border.pdf", "taliban-at-the-border.epub",
                 "data/datapackage.json", "figures/numbers.json", "figures/numbers.csv", "references.bib",
                 "requirements.txt", "apt.txt", "CITATION.cff", "ro-crate-metadata.json"]:
        assert (unpacked / name).is_file(), name
    published = {p.name for p in paths.sources(paths.FIGURES)}   # lock files aside
    assert {p.name for p in (unpacked / "figures").iterdir()} == published
    assert "rocrate==" in (unpacked / "requirements.txt").read_text()


def test_the_crate_says_how_each_output_was_made(unpacked):
    from rocrate.rocrate import ROCrate

    crate = ROCrate(unpacked)
    info = release.edition()
    top = crate.root_dataset
    assert top["version"] == info["version"] and top["datePublished"] == info["date"]
    assert release.PROCESS_RUN_CRATE in [profile.id for profile in top["conformsTo"]]
    runs = json.loads((unpacked / "figures" / "numbers.json").read_text(encoding="utf-8"))["chapters"]

    def sha256(relative):
        return hashlib.sha256((unpacked / relative).read_bytes()).hexdigest()

    # Every data file: its checksum (of the bytes in the zip), a licence, the works its rows cite.
    data = [p.relative_to(unpacked).as_posix() for p in (unpacked / "data").rglob("*") if p.is_file()]
    for relative in data:
        entity = crate.get(relative)
        assert entity is not None and entity["sha256"] == sha256(relative), relative
        assert entity["license"].id == release.CC_BY
        if relative.startswith("data/raw/"):
            assert entity["citation"], relative

    # Every file of figures/: the result of a chapter's run, whose objects are the data files it
    # read, present in the zip with the checksums its run recorded.
    made = {}
    for action in crate.get_by_type("CreateAction"):
        for result in action["result"]:
            made.setdefault(result.id, []).append(action)
    for path in sorted((unpacked / "figures").iterdir()):
        relative = f"figures/{path.name}"
        actions = [a for a in made.get(relative, []) if a["instrument"].id.startswith("chapters/")]
        assert actions, f"{relative}: no CreateAction of a chapter made it"
        assert crate.get(relative)["sha256"] == sha256(relative)
        for action in actions:
            chapter = action["instrument"].id.removeprefix("chapters/").removesuffix(".md")
            recorded = {f: c for f, c in runs[chapter]["inputs"].items() if f.startswith("data/")}
            objects = {obj.id: obj["sha256"] for obj in action["object"]}
            assert objects == recorded, (relative, chapter)
            assert all(sha256(f) == checksum for f, checksum in objects.items()), relative
            assert "SoftwareSourceCode" in action["instrument"].type


def test_no_release_from_a_dirty_tree(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "notes.txt").write_text("not committed")
    assert release.git_status(tmp_path) == ["?? notes.txt"]
    monkeypatch.setattr(release, "git_status", lambda: ["?? notes.txt"])
    with pytest.raises(release.ReleaseError, match=r"(?s)git tree is not clean.*notes.txt"):
        release.make(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_no_release_when_verify_fails(tmp_path, monkeypatch):
    from borderbook import build, verify

    monkeypatch.setattr(release, "git_status", lambda: [])
    monkeypatch.setattr(verify, "run", lambda: {"identical": False})
    monkeypatch.setattr(verify, "render", lambda report: "numbers: 1 differing")
    monkeypatch.setattr(build, "build", lambda kinds: pytest.fail("built after a failed verification"))
    with pytest.raises(release.ReleaseError, match="make verify"):
        release.make(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_no_release_when_the_tree_changed_while_it_verified_and_built(tmp_path, monkeypatch):
    from borderbook import build, verify

    answers = iter([[], [" M chapters/01-introduction.md"]])
    monkeypatch.setattr(release, "git_status", lambda: next(answers))
    monkeypatch.setattr(verify, "run", lambda: {"identical": True})
    monkeypatch.setattr(build, "build", lambda kinds: [])
    with pytest.raises(release.ReleaseError, match="01-introduction"):
        release.make(tmp_path / "out")
    assert not (tmp_path / "out").exists()
