"""The `levcheck` command line. Subcommands live in `levcheck/commands/`, one module each, defining
NAME, HELP, add_arguments(parser) and run(args) -> ExitCode; they are discovered, not listed here."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from types import ModuleType

from . import __version__, commands
from levcheck.specs.params import ParamError
from levcheck.specs.scenario import ScenarioError

from .errors import LevcheckError
from .exitcodes import EXIT_CODE_HELP, ExitCode

ORDER = ("init", "check", "build", "analyze", "prove", "fuzz", "replay", "export", "tables", "bench")


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
    parser.add_argument("--debug", action="store_true", help="print the full traceback of an unexpected error")
    # --debug is accepted after the subcommand too; SUPPRESS keeps the top-level value when absent
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for mod in mods:
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP, epilog=EXIT_CODE_HELP, parents=[debug])
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The one error boundary: bad input is one line and exit 2, the unexpected is one line and
    exit 2 (the traceback with --debug), an interrupt exit 3. Never a traceback with exit 1, which
    would read as a counterexample."""
    parser = make_parser(discover())
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return int(ExitCode.ERROR)
    try:
        return int(args._run(args))
    except (LevcheckError, ParamError, ScenarioError) as exc:  # bad input: say what is wrong
        return _error(args, str(exc), exc)
    except BrokenPipeError:  # the reader went away (`| head`): nothing left to say to it
        return int(ExitCode.ERROR)
    except OSError as exc:  # an unwritable folder, a missing file, a full disk
        where = f" ({exc.filename})" if exc.filename else ""
        return _error(args, f"{exc.strerror or exc}{where}: check the path exists and is writable", exc)
    except KeyboardInterrupt:
        print(f"levcheck {args.command}: interrupted", file=sys.stderr)
        return int(ExitCode.TIMEOUT)
    except Exception as exc:  # a bug in levcheck or a tool: still one line, still "could not run"
        return _error(args, f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", exc)


def _error(args: argparse.Namespace, message: str, exc: BaseException) -> int:
    if getattr(args, "debug", False):
        traceback.print_exception(exc, file=sys.stderr)
    first = message.strip().splitlines() or [type(exc).__name__]
    # one line: multi-line messages (compile errors) follow indented
    print(f"levcheck {args.command}: error: {first[0]}", file=sys.stderr)
    for line in first[1:]:
        print(f"  {line}", file=sys.stderr)
    return int(ExitCode.ERROR)


if __name__ == "__main__":
    sys.exit(main())
