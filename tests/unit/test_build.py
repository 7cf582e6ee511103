"""The diagnosis of a failed Sphinx build: where, and what to do."""

from borderbook import build

LOG = """[html] reading sources... [100%] chapters/01-introduction
/book/chapters/01-introduction.md:195: WARNING: footnote [^missing] has no definition
build finished with problems, 1 warning.
"""


def test_a_warning_is_named_with_its_place_and_what_to_do():
    # failed before: the diagnosis named the place but ended without saying what to do
    message = build.diagnose(LOG)
    assert "01-introduction.md:195: WARNING: footnote [^missing] has no definition" in message
    assert message.splitlines()[-1].startswith("Fix the file at each place named above")
    assert "make book" in message.splitlines()[-1]
