"""The command line: `run.py simulate` runs one seeded game and prints it; `run.py validate`
checks scenario files. Bad input exits 2 with a message naming the file and field, never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from wargame.config.loader import ScenarioError, load_scenario, scenario_files
from wargame.engine.theatre import Theatre, TheatreError
from wargame.experiments.outputs import FORMATS, OutputError, check_output_folder, write_run

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "configs" / "scenarios" / "gulf_2026.yaml"
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    pass


def positive_int(name: str, low: int = 1, high: int = 100_000):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be between {low} and {high}, got {value}"
            )
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Gulf Escalation Wargame: an agent-based US-Iran escalation cycle.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    simulate = commands.add_parser(
        "simulate", help="run one seeded game and print it round by round"
    )
    simulate.add_argument("--scenario", default=str(DEFAULT_SCENARIO), help="scenario YAML file")
    simulate.add_argument(
        "--rounds",
        type=positive_int("--rounds"),
        default=None,
        help="rounds to play (default: the scenario's clock.rounds)",
    )
    simulate.add_argument(
        "--seed",
        type=positive_int("--seed", 0, 2**63 - 1),
        default=0,
        help="random seed; the same seed gives the same run",
    )
    simulate.add_argument(
        "--out", default=None, help="folder for metrics, events.jsonl and summary.json"
    )
    simulate.add_argument(
        "--format", choices=FORMATS, default="parquet", help="metrics file format"
    )
    simulate.add_argument("--quiet", action="store_true", help="print only the summary")
    validate = commands.add_parser("validate", help="check scenario files or folders")
    validate.add_argument("paths", nargs="+", help="files or folders of YAML scenarios")
    return parser


def simulate(args: argparse.Namespace) -> int:
    # Imported here so that `validate` and argument errors answer without loading Mesa and pandas.
    from wargame.cli.report import round_table, summary_text
    from wargame.experiments.single_run import run_once

    if args.out:
        check_output_folder(args.out)
    scenario = load_scenario(args.scenario)
    result = run_once(scenario, args.seed, args.rounds)
    if not args.quiet:
        print(round_table(result.metrics))
        print()
    print(summary_text(result.summary, scenario.name))
    if args.out:
        written = write_run(result, args.out, args.format)
        print(f"\nwrote {', '.join(str(path) for path in written)}")
    return 0


def validate(args: argparse.Namespace) -> int:
    files = scenario_files(args.paths)
    if not files:
        print(f"validate: no YAML files found in {', '.join(args.paths)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    failed = 0
    for path in files:
        try:
            scenario = load_scenario(path)
            Theatre(scenario)  # geography only the built theatre can check (routes over sea lanes)
        except ScenarioError as error:
            failed += 1
            print(str(error), file=sys.stderr)
        except TheatreError as error:
            failed += 1
            print(f"{path}: {error}", file=sys.stderr)
        else:
            print(
                f"{path}: ok ({scenario.name}: {len(scenario.nodes)} nodes, {len(scenario.edges)} edges)"
            )
    print(f"{len(files) - failed} of {len(files)} files valid")
    return EXIT_BAD_INPUT if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 with a usage message
    try:
        if args.command == "simulate":
            return simulate(args)
        return validate(args)
    except (ScenarioError, OutputError) as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except TheatreError as error:
        # Problems only the built theatre can see (e.g. a route with no sea-lane path).
        print(f"{getattr(args, 'scenario', 'scenario')}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
