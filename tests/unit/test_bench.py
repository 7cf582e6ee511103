"""`make bench` compares like moments: each scenario is played by this book and by stock in
turn, and both wall and CPU time are reported, with what stock does not do. No build here:
the copies are stand-ins that record what was asked of them."""

from borderbook import bench


class Recorder:
    """A stand-in for :class:`bench.Copy`: records each build, in order, with its mode."""

    order: list = []

    def __init__(self, root, mode, revision=None):
        self.root, self.mode, self.turn = root, mode, 0
        root.mkdir(parents=True)

    def build(self):
        Recorder.order.append(self.mode)
        seconds = {"ours": 2.0, "stock": 4.0, "before": 8.0}[self.mode]
        return {"wall": seconds, "cpu": 3 * seconds, "load": 1.5,
                "executed": {"01-introduction": 1.0} if self.mode == "ours" else {}}

    def verify(self):
        Recorder.order.append(f"{self.mode} verify")
        return {"wall": 9.0, "cpu": 9.0, "load": 1.5, "executed": {}}

    forget_outputs = toggle_prose = edit_code = edit_csv = lambda self: None


def test_modes_take_turns_and_both_times_are_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "Copy", Recorder)
    monkeypatch.setattr(bench, "STEPS", tuple((name, getattr(Recorder, step.__name__) if step else None)
                                              for name, step in bench.STEPS))
    Recorder.order = []
    raw = bench.measure(("ours", "stock"), tmp_path, runs=2, say=lambda line: None)
    builds = [mode for mode in Recorder.order if "verify" not in mode]
    assert builds == ["ours", "stock"] * (2 * len(bench.STEPS)), "scenarios are not interleaved"

    report = {"machine": {"cores": 2, "processor": "test", "system": "test", "python": "3"},
              "runs_each": 2, "stock_lacks": list(bench.STOCK_LACKS)}
    for mode in ("ours", "stock"):
        report[mode] = {name: bench.summarise(runs) for name, runs in raw[mode].items() if runs}
    report["ratios"] = bench.ratios(report["ours"], report["stock"], 2)
    assert report["ratios"]["cold wall / stock's"] == 0.5 and report["ratios"]["cold cpu / stock's"] == 0.5
    text = bench.table(report)
    assert "this book wall | this book CPU | stock wall | stock CPU | wall ratio | CPU ratio" in text
    assert "| cold | 2.0 (2.0–2.0) | 6.0 (6.0–6.0) | 4.0 (4.0–4.0) | 12.0 (12.0–12.0) | 0.50 | 0.50 |" in text
    assert "no data-awareness" in text and "load average at the start of each build 1.5–1.5" in text

    readme = f"# Book\n\n{bench.README_START}\nold table\n{bench.README_END}\n\n## Layout\n"
    rewritten = bench.in_readme(readme, text)
    assert "old table" not in rewritten and text in rewritten and rewritten.endswith("## Layout\n")


def test_an_earlier_revision_plays_in_the_same_runs_with_its_own_make_book(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "Copy", Recorder)
    monkeypatch.setattr(bench, "STEPS", tuple((name, getattr(Recorder, step.__name__) if step else None)
                                              for name, step in bench.STEPS))
    Recorder.order = []
    raw = bench.measure(("ours", "stock", "before"), tmp_path, runs=1, say=lambda line: None, revision="HEAD")
    assert Recorder.order[:3] == ["ours", "stock", "before"]
    assert "before verify" in Recorder.order, "the earlier revision's `make verify` is not measured"
    report = {"machine": {"cores": 2, "processor": "test", "system": "test", "python": "3"},
              "runs_each": 1, "stock_lacks": list(bench.STOCK_LACKS), "before_revision": "abc1234 (then)"}
    for mode in ("ours", "stock", "before"):
        report[mode] = {name: bench.summarise(runs) for name, runs in raw[mode].items() if runs}
    report["ratios"] = bench.ratios(report["ours"], report["stock"], 2, report["before"])
    assert report["ratios"]["cold wall / before's"] == 0.25
    text = bench.table(report)
    assert "Against abc1234 (then)" in text and "| cold | 2.0 | 6.0 | 8.0 | 24.0 | 0.25 | 0.25 |" in text
    assert "- cold wall / before's" not in text, "a ratio to the earlier revision is listed as a target"

    # The copy of a revision is that revision's files, built by the command its Makefile's `book:` runs.
    command = bench._unpack("HEAD", tmp_path / "then")
    assert command[1:] == ["-m", "borderbook", "build", "html", "pdf", "epub"]
    assert (tmp_path / "then" / "chapters" / "01-introduction.md").exists()
