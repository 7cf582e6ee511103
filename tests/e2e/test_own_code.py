"""A build runs the project's own code on its own data, whatever borderbook the environment
has installed: the chapters' kernels start in chapters/, where Python finds borderbook through
the environment (an editable install of another copy of the project, in CI the clone itself)."""

import json
import os
import subprocess
import sys

from borderbook import freshness


def test_a_copy_of_the_project_builds_from_its_own_code_and_data(tmp_path, built):
    book = built.copy(tmp_path)
    book.edit("data/raw/border_lengths.csv", ",1300,,approx,", ",1310,,approx,")
    book.edit("borderbook/style.py", '"""', '"""This copy\'s. ', )
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "borderbook", "build", "html"], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    page = (tmp_path / "_build" / "html" / "chapters" / "01-introduction.html").read_text(encoding="utf-8")
    assert "about 1,310 km" in page, "the chapter read another copy's data"
    run = json.loads((tmp_path / "figures" / "numbers.json").read_text())["chapters"]["01-introduction"]
    assert run["inputs"]["borderbook/style.py"] == freshness.checksum(tmp_path / "borderbook" / "style.py"), \
        "the chapter ran another copy's code"
