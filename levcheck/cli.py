"""The `levcheck` command line. Subcommands live in `levcheck/commands/`, one module each, defining
NAME, HELP, add_arguments(parser) and run(args) -> ExitCode; they are discovered, not listed here."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from types import ModuleType

from . import __version__, commands
from levcheck.specs.params import ParamError

from .errors import LevcheckError
from .exitcodes import EXIT_CODE_HELP, ExitCode

ORDER = ("check", "build", "analyze", "prove", "fuzz", "replay", "tables", "bench")


def discover() -> list[ModuleType]:
    mods = [importlib.import_module(f"{commands.__name__}.{m.name}") for m in pkgutil.iter_modules(commands.__path__)]
    mods = [m for m in mods if hasattr(m, "NAME") and hasattr(m, "run")]
    return sorted(mods, key=lambda m: (ORDER.index(m.NAME) if m.NAME in ORDER else len(ORDER), m.NAME))


def make_parser(mods: list[ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="levcheck",
        description="Proofs, differential fuzzing and static analysis for the leveraged-token protocol.",
        epilog=EXIT_CODE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"levcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for mod in mods:
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP, epilog=EXIT_CODE_HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(discover())
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return int(ExitCode.ERROR)
    try:
        return int(args._run(args))
    except (LevcheckError, ParamError) as exc:  # bad input: say what is wrong, exit 2
        print(f"levcheck {args.command}: error: {exc}", file=sys.stderr)
        return int(ExitCode.ERROR)
    except KeyboardInterrupt:
        print(f"levcheck {args.command}: interrupted", file=sys.stderr)
        return int(ExitCode.TIMEOUT)


if __name__ == "__main__":
    sys.exit(main())
