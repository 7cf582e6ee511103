"""Command line: ``python -m borderbook build html pdf epub``, ``release``, ``reproduce [name=value …]``, ``verify``.

Every command stops cleanly: an interruption (Ctrl-C, or SIGTERM to ``make``, which the
command hears as its parent's death) publishes nothing and exits 130, and a build waits
for any other build of the same project to finish before it starts.
"""

import argparse
import ctypes
import fcntl
import os
import signal
import sys
from contextlib import contextmanager

from borderbook import build, paths

# The other commands' modules are imported when they run: they bring pandas and frictionless
# (most of a second), and a `make book` with nothing to do costs a checksum of the tree.


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m borderbook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    again = commands.add_parser("reproduce", help="re-execute every chapter into _build/reproduce/")
    again.add_argument("parameters", nargs="*", help="name=value, passed to the chapters that declare name")
    again.add_argument("--out", help="output folder (default: _build/reproduce)")
    commands.add_parser("verify", help="regenerate from data/ and compare with figures/")
    commands.add_parser("release", help="write _build/release/<slug>-<version>.zip (clean tree, verified)")
    builder = commands.add_parser("build", help="build the book; replace the outputs only on success")
    builder.add_argument("kinds", nargs="+", choices=list(build.KINDS), metavar="|".join(build.KINDS))
    arguments = parser.parse_args(argv)
    _stop_with_parent()
    _children_import_this_project()
    try:
        with _one_build_at_a_time():
            return _run(arguments)
    except KeyboardInterrupt:
        print("\nInterrupted; nothing published: figures/, the HTML and the PDF are as they were.",
              file=sys.stderr)
        return build.INTERRUPTED


def _run(arguments) -> int:
    if arguments.command == "build":
        try:
            for kind, published in zip(arguments.kinds, build.build(arguments.kinds)):
                print(f"{kind.upper()}: {published}")
        except build.BuildError as error:
            print(f"\n{error}", file=sys.stderr)
            return 1
        return 0
    if arguments.command == "release":
        from borderbook import release

        try:
            archive = release.make()
        except (release.ReleaseError, build.BuildError) as error:
            print(f"\nNo release: {error}", file=sys.stderr)
            return 1
        print(f"Release: {archive}")
        return 0
    if arguments.command == "reproduce":
        from borderbook import data, execute, reproduce

        try:
            out = arguments.out or str(reproduce.DEFAULT_OUT)
            results = reproduce.run(reproduce.parse(arguments.parameters), out)
        except (reproduce.ParameterError, data.DataError, execute.TocError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for chapter, result in results.items():
            print(f"{chapter}: {result['seconds']} s, parameters {result['parameters'] or 'none'}")
        print(f"Outputs: {out}")
        return 0
    from borderbook import verify

    report = verify.run()
    print(verify.render(report))
    print(f"Report: {paths.VERIFY_REPORT.with_suffix('.md')} and {paths.VERIFY_REPORT.name}")
    return 0 if report["identical"] else 1


@contextmanager
def _one_build_at_a_time():
    """Hold the project's build lock; say so when another build holds it, and wait."""
    paths.BUILD.mkdir(exist_ok=True)
    with open(paths.BUILD / "build.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("Another build of this project is running; waiting for it to finish…", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _children_import_this_project():
    """Put this project first on every child's import path. The chapters' kernels start in
    chapters/, where Python would find borderbook wherever it is installed: an editable install
    of another copy of the project (a clone, a scratch copy) would run that copy's code on that
    copy's data, and record its checksums."""
    others = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([str(paths.ROOT), *others]))


def _stop_with_parent():
    """Hear SIGTERM when the parent (``make``) dies, and take it, like SIGINT, as an interruption:
    the children (chapters' kernels, Sphinx) then go down with this process."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
