"""Chapters run side by side, each in a kernel of its own: no kernel takes a TCP port, which
another chapter's kernel starting beside it could take first (the loser died "before
replying to kernel_info", seen in CI), and none warns in the output that its traffic is not
encrypted (printed for every chapter before)."""

import nbformat
import pytest
from jupyter_client.provisioning.local_provisioner import LocalPortCache
from nbclient import NotebookClient

from borderbook import paths, reproduce, warm


@pytest.fixture
def no_port(monkeypatch):
    """Fail any kernel start that asks for a TCP port."""
    def ask(cache, ip):
        raise AssertionError("a kernel asked for a TCP port")

    monkeypatch.setattr(LocalPortCache, "find_available_port", ask)


def test_a_warm_kernel_takes_no_port_and_warns_of_nothing(no_port, capfd):
    # make book's kernels, forked by the warm-kernel server
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from ipykernel.connect import get_connection_info\n"
        "info = get_connection_info(unpack=True)\n"
        "print(info['transport'], info['ip'])")])
    with warm.server() as address:
        NotebookClient(notebook, timeout=60, kernel_name="python3", **warm.config(address)).execute()
    transport, where = notebook.cells[0].outputs[0]["text"].split()
    assert transport == "ipc" and where.startswith(address.rpartition("/")[0] + "/")
    assert "WARNING" not in capfd.readouterr().err


def test_a_chapter_verify_or_reproduce_runs_takes_no_port_and_warns_of_nothing(no_port, capfd, tmp_path):
    # make verify's and make reproduce's fresh kernels
    (tmp_path / "figures").mkdir()
    name, result = reproduce._execute((0, paths.CHAPTERS / "glossary.md", {}, tmp_path))
    assert name == "glossary" and (tmp_path / "glossary.ipynb").exists()
    assert any((tmp_path / "figures").iterdir()), "the chapter published nothing"
    assert "WARNING" not in capfd.readouterr().err
