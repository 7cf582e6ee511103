"""Command line: ``python -m borderbook build html pdf``, ``reproduce [name=value …]``, ``verify``."""

import argparse
import sys

from borderbook import build, paths, reproduce, verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m borderbook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    again = commands.add_parser("reproduce", help="re-execute every chapter into _build/reproduce/")
    again.add_argument("parameters", nargs="*", help="name=value, passed to the chapters that declare name")
    again.add_argument("--out", default=str(reproduce.DEFAULT_OUT), help="output folder")
    commands.add_parser("verify", help="regenerate from data/ and compare with figures/")
    builder = commands.add_parser("build", help="build the book; replace the outputs only on success")
    builder.add_argument("kinds", nargs="+", choices=["html", "pdf"], metavar="html|pdf")
    arguments = parser.parse_args(argv)
    if arguments.command == "build":
        try:
            for kind, published in zip(arguments.kinds, build.build(arguments.kinds)):
                print(f"{kind.upper()}: {published}")
        except build.BuildError as error:
            print(f"\n{error}", file=sys.stderr)
            return 1
        return 0
    if arguments.command == "reproduce":
        try:
            results = reproduce.run(reproduce.parse(arguments.parameters), arguments.out)
        except reproduce.ParameterError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for chapter, result in results.items():
            print(f"{chapter}: {result['seconds']} s, parameters {result['parameters'] or 'none'}")
        print(f"Outputs: {arguments.out}")
        return 0
    report = verify.run()
    print(verify.render(report))
    print(f"Report: {paths.VERIFY_REPORT.with_suffix('.md')} and {paths.VERIFY_REPORT.name}")
    return 0 if report["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
