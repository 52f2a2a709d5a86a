"""The command line: `play` (the default) serves the browser game, `simulate` plays one seeded
game and prints it, `sweep` runs an experiment file, `analyse` reports on its results,
`calibrate` compares the model with the reference patterns, `validate` checks scenario and
experiment files. Bad input exits 2 with a message naming the file and field, never a
traceback.

At the top this module imports only what the parser needs, so `--help` and argument errors
answer without loading pydantic, YAML, NetworkX, Mesa or pandas; each command imports what it
uses when it runs. `validate` loads the config layer and the theatre (NetworkX), never Mesa,
pandas or pyarrow (tests/test_cli_cold.py).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from wargame.cli.play import DEFAULT_HOST, DEFAULT_PORT, PlayError, play
from wargame.config.text import printable
from wargame.experiments.cluster import ClusterError, resolve_address
from wargame.experiments.errors import StoreError, SweepStoppedError
from wargame.experiments.outputs import (
    FORMATS,
    OutputError,
    check_output_folder,
    link_problem,
    write_run,
)

if TYPE_CHECKING:
    from wargame.config.loader import LoadedExperiment

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "configs" / "scenarios" / "gulf_2026.yaml"
EXIT_BAD_INPUT = 2
EXIT_TERMINATED = 128 + signal.SIGTERM  # what a shell reports for a process ended by SIGTERM


def positive_int(name: str, low: int, high: int):
    def parse(text: str) -> int:
        # ASCII digits only: int() also takes other scripts' digits ('٣' is 3), '_' and spaces.
        if not re.fullmatch(r"-?[0-9]+", text):
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {printable(repr(text))} (digits 0-9 only)"
            )
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be between {low} and {high}, got {value}"
            )
        return value

    return parse


def rounds_argument(text: str) -> int:
    """`--rounds`: a whole number from 1 to the schema's MAX_ROUNDS."""
    from wargame.config.schema import MAX_ROUNDS  # here: pydantic only once --rounds is given

    return positive_int("--rounds", 1, MAX_ROUNDS)(text)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """`--help` shows every option's default, unless its help text already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        # `is`, not `in`: a default of 0 (the seed) must still be shown.
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Gulf Escalation Wargame: an agent-based US-Iran escalation cycle.",
        formatter_class=HelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_parser = functools.partial(commands.add_parser, formatter_class=HelpFormatter)
    play = add_parser(
        "play", help="serve the game in a browser (what `run.py` with no command does)"
    )
    play.add_argument(
        "--scenario",
        default=str(DEFAULT_SCENARIO),
        help="scenario the game starts with (default: configs/scenarios/gulf_2026.yaml); "
        "the page can pick any file in configs/scenarios/",
    )
    play.add_argument(
        "--port",
        type=positive_int("--port", 1, 65535),
        default=DEFAULT_PORT,
        help="port to serve on",
    )
    play.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to serve on; 127.0.0.1 keeps the game on this machine, 0.0.0.0 opens it "
        "to the network (a classroom)",
    )
    play.add_argument(
        "--data",
        default="data",
        help="folder for the classroom's rooms (classroom.sqlite3; default: data/)",
    )
    simulate = add_parser("simulate", help="run one seeded game and print it round by round")
    simulate.add_argument(
        "--scenario",
        default=str(DEFAULT_SCENARIO),
        help="scenario YAML file (default: configs/scenarios/gulf_2026.yaml, the baseline)",
    )
    simulate.add_argument(
        "--rounds",
        type=rounds_argument,
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
        "--out",
        default=None,
        help="folder for metrics, events.jsonl and summary.json, checked before the run: "
        "new, empty, or written by an earlier --out (default: write no files)",
    )
    simulate.add_argument(
        "--format", choices=FORMATS, default="parquet", help="metrics file format"
    )
    simulate.add_argument("--quiet", action="store_true", help="print only the summary")
    sweep = add_parser("sweep", help="run an experiment file: many seeded runs, results as Parquet")
    sweep.add_argument("experiment", help="experiment YAML file (see configs/sweeps/)")
    sweep.add_argument(
        "--workers",
        type=positive_int("--workers", 1, 512),
        default=None,
        help="worker processes (default: the file's execution.workers, else one per core; 1 = no pool)",
    )
    sweep.add_argument(
        "--fresh", action="store_true", help="discard results already in the output folder"
    )
    sweep.add_argument(
        "--csv", action="store_true", help="also export runs.csv (and timeseries.csv)"
    )
    sweep.add_argument(
        "--dask",
        nargs="?",
        const="",
        default=None,
        metavar="local|ADDRESS",
        help="run on Dask: `local` starts a LocalCluster; an address (or, with no value, "
        "$DASK_SCHEDULER_ADDRESS) uses an existing cluster",
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress line")
    analyse = add_parser("analyse", help="tables, plots and a report from a sweep's results folder")
    analyse.add_argument("results", help="a results folder written by `run.py sweep`")
    analyse.add_argument(
        "--report",
        metavar="DIR",
        help="folder to write the report into (default: RESULTS/report); use it when the "
        "results folder is read-only",
    )
    calibrate = add_parser(
        "calibrate",
        help="calibrate against the reference patterns (rejection ABC over a Latin hypercube), "
        "the path forward over the accepted ensemble, an HTML report",
    )
    calibrate.add_argument(
        "--scenario",
        default=str(DEFAULT_SCENARIO),
        help="scenario to calibrate (default: configs/scenarios/gulf_2026.yaml)",
    )
    calibrate.add_argument(
        "--runs",
        type=positive_int("--runs", 1, 10_000),
        default=None,  # calibration_spec.DEFAULT_RUNS (not imported here: pandas would load)
        help="seeded runs per parameter set (default 4; the default scenario gets 4x as many)",
    )
    calibrate.add_argument(
        "--samples",
        type=positive_int("--samples", 1, 100_000),
        default=None,  # calibration_spec.DEFAULT_SAMPLES
        help="parameter sets in the Latin hypercube (default 400)",
    )
    calibrate.add_argument(
        "--seed",
        type=positive_int("--seed", 0, 2**63 - 1),
        default=0,
        help="seed of the hypercube and of every run; the same seed and sizes give the same report",
    )
    calibrate.add_argument(
        "--out",
        default="results/calibration",
        help="folder for report.html, calibration.txt, calibration.json and the sweeps' results",
    )
    calibrate.add_argument(
        "--workers",
        type=positive_int("--workers", 1, 512),
        default=None,
        help="worker processes (default: one per core; 1 = no pool)",
    )
    calibrate.add_argument("--quiet", action="store_true", help="no progress lines")
    validate = add_parser("validate", help="check scenario and experiment files or folders")
    validate.add_argument(
        "paths", nargs="+", help="files or folders of YAML scenarios and experiments"
    )
    return parser


def simulate(args: argparse.Namespace) -> int:
    # Imported here so that `validate` and argument errors answer without loading Mesa and pandas.
    from wargame.cli.report import round_table, summary_text
    from wargame.config.loader import check_path_argument, load_scenario
    from wargame.config.schema import late_injects_note
    from wargame.experiments.single_run import run_once

    check_path_argument("--scenario", args.scenario)
    if args.out is not None:  # `--out ""` is refused, not taken as "no files"
        check_path_argument("--out", args.out)
        check_output_folder(args.out)
    scenario = load_scenario(args.scenario)
    note = late_injects_note(scenario, args.rounds or scenario.clock.rounds)
    if note:
        print(note, file=sys.stderr)
    result = run_once(scenario, args.seed, args.rounds)
    if not args.quiet:
        print(round_table(result.metrics))
        print()
    print(summary_text(result.summary, scenario.name))
    if args.out is not None:
        args.written = write_run(result, args.out, args.format)
        folder = printable(args.written[0].parent, limit=4096)  # a path in full, escaped
        print(f"\nwrote {', '.join(path.name for path in args.written)} in {folder}")
    return 0


def start(plan, make_executor, engine: str, args: argparse.Namespace):
    from wargame.experiments.sweep import print_progress, run_sweep

    experiment = plan.loaded.experiment
    points = len(plan.design)
    checked = "" if plan.points_checked == points else f" (first {plan.points_checked:,} checked)"
    print(
        f"sweep {experiment.name}: {points:,} points{checked} x {experiment.replicates:,} "
        f"replicates = {plan.total_runs:,} runs of {experiment.rounds} rounds on {engine}, "
        f"{plan.runs_per_task} runs a task; results in {shown_path(plan.loaded.output)}",
        flush=True,
    )
    report = run_sweep(
        plan, make_executor, fresh=args.fresh, progress=None if args.quiet else print_progress
    )
    if not args.quiet:
        print(file=sys.stderr)
    return report


def shown_path(path: object) -> str:
    """A path the user gave, printed in full but with control characters escaped."""
    return printable(path, limit=4096)


def sweep_outcome(report, output: Path) -> int:
    """Say truly how the sweep ended: interrupted (130), nothing succeeded (1), or done (0,
    with a warning when some runs failed)."""
    from wargame.experiments.store import ResultStore

    if report.interrupted:
        stored = report.already_done + report.ran
        print(
            f"\ninterrupted: {stored:,} of {report.planned:,} runs are stored in "
            f"{shown_path(output)}; run "
            f"the same command again to run the other {report.planned - stored:,}",
            file=sys.stderr,
        )
        return 130
    stored, failed, commonest = ResultStore(output).failures()
    print(
        f"done: {report.ran:,} runs now ({report.failed:,} failed), {report.already_done:,} already "
        f"stored, {report.seconds:.1f} s, {report.rate:.1f} runs/s"
        + (f"; worker pool rebuilt {report.pool_rebuilds}x" if report.pool_rebuilds else "")
    )
    if not failed:
        return 0
    errors = "; ".join(f"{n:,} x {printable(error)}" for error, n in commonest)
    where = f"the `error` column of {shown_path(output / 'runs')}"
    if failed == stored:
        print(
            f"sweep failed: none of the {stored:,} runs succeeded. Commonest errors: {errors}. "
            f"Every run's error is in {where}.",
            file=sys.stderr,
        )
        return 1
    print(
        f"warning: {failed:,} of {stored:,} runs failed and have no outcomes. "
        f"Commonest errors: {errors}. Every run's error is in {where}.",
        file=sys.stderr,
    )
    return 0


def sweep(args: argparse.Namespace) -> int:
    # Read and check the file before importing the runner (pandas, SciPy, Mesa): a bad file
    # is refused in about a second. A malformed --dask address is refused before that.
    from wargame.config.loader import load_experiment

    address = None if args.dask is None else resolve_address(args.dask)
    loaded = load_experiment(args.experiment)
    from wargame.experiments.store import ResultStore, write_atomically
    from wargame.experiments.sweep import (
        InProcessExecutor,
        local_pool,
        plan_sweep,
    )

    plan = plan_sweep(loaded, args.workers)
    exports = csv_exports(loaded) if args.csv else {}
    if address is not None:
        from wargame.experiments.cluster import dask_engine

        with dask_engine(address, plan.workers) as (make_executor, engine):
            report = start(plan, make_executor, engine, args)
    else:
        engine = (
            "one process (this one)"
            if plan.workers == 1
            else f"{plan.workers} local worker processes"
        )
        make_executor = (
            InProcessExecutor if plan.workers == 1 else (lambda: local_pool(plan.workers))
        )
        report = start(plan, make_executor, engine, args)
    status = sweep_outcome(report, loaded.output)
    if exports and status != 130:
        store = ResultStore(loaded.output)
        tables = {"runs": store.read_runs, "timeseries": store.read_timeseries}
        for name, path in exports.items():
            frame = tables[name]()
            if not frame.empty:
                write_atomically(path, lambda p, f=frame: f.to_csv(p, index=False))
                print(f"wrote {shown_path(path)}")
    return status


def csv_exports(loaded: LoadedExperiment) -> dict[str, Path]:
    """The CSV files `--csv` writes after the sweep, checked before its first run: a folder in
    the place of one would fail only after all the work."""
    names = ["runs", *(["timeseries"] if loaded.experiment.timeseries else [])]
    exports = {name: loaded.output / f"{name}.csv" for name in names}
    for path in exports.values():
        # A file or a link there is fine: the export replaces it (a link, never its target).
        if path.is_dir() and not path.is_symlink():
            raise StoreError(
                f"{shown_path(path)}: exists and is a folder; --csv writes a file there. "
                "Expected a file or nothing: move the folder away, or drop --csv"
            )
    return exports


def analyse(args: argparse.Namespace) -> int:
    from wargame.config.loader import check_path_argument
    from wargame.experiments.report import (
        analyse_runs,
        load_results,
        report_folder,
        text_report,
        write_report,
    )

    if args.report == "":
        raise StoreError("--report: empty folder name; give a folder to write the report into")
    check_path_argument("results folder", args.results)  # a NUL would be a ValueError below
    check_path_argument("--report", args.report or "")
    folder = Path(args.results)
    results = load_results(folder)  # checked against its manifest, or refused
    requested = Path(args.report) if args.report else None
    # The rule for symbolic links every output folder follows; then, before computing,
    # report_folder refuses a file in the way or a read-only folder.
    problem = link_problem(requested or folder / "report")
    if problem:
        raise StoreError(f"report folder: {problem}")
    target = report_folder(folder, requested)
    result = analyse_runs(results)
    print(text_report(result), end="")
    written = write_report(result, target)
    print(f"wrote {', '.join(shown_path(p) for p in written)}")
    return 0


def calibrate(args: argparse.Namespace) -> int:
    from wargame.config.loader import check_path_argument
    from wargame.experiments.calibration import calibrate as run_calibration
    from wargame.experiments.calibration_arms import CalibrationError, Settings
    from wargame.experiments.calibration_spec import DEFAULT_RUNS, DEFAULT_SAMPLES
    from wargame.experiments.sweep import print_progress

    check_path_argument("--scenario", args.scenario)
    check_path_argument("--out", args.out)
    if not args.out:
        raise StoreError("--out: empty folder name; give a folder to write the report into")
    settings = Settings(
        scenario=Path(args.scenario),
        runs=DEFAULT_RUNS if args.runs is None else args.runs,
        samples=DEFAULT_SAMPLES if args.samples is None else args.samples,
        seed=args.seed,
        out=Path(args.out),
        workers=args.workers or 0,
    )
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr))
    try:
        result, written = run_calibration(
            settings, say=say, progress=None if args.quiet else print_progress
        )
    except CalibrationError as error:
        print(f"calibrate: {printable(error, 1_000)}", file=sys.stderr)
        return 1
    print((settings.out / "calibration.txt").read_text(encoding="utf-8"), end="")
    times = ", ".join(f"{arm} {seconds:.1f} s" for arm, seconds in result.seconds.items())
    print(f"\ntimes: {times}")
    print(f"wrote {', '.join(shown_path(p) for p in written)}")
    return 0


def validate(args: argparse.Namespace) -> int:
    """Check scenario and experiment files (an experiment is a file with `base_scenario`)."""
    from wargame.config.loader import ScenarioError, scenario_files
    from wargame.engine.theatre import TheatreError

    files = scenario_files(args.paths)
    if not files:
        shown = ", ".join(printable(path) for path in args.paths)
        print(f"validate: no YAML files found in {shown}", file=sys.stderr)
        return EXIT_BAD_INPUT
    failed = 0
    for path in files:
        try:
            print(f"{printable(path)}: ok ({printable(check_file(path))})")
        except ScenarioError as error:
            failed += 1
            print(str(error), file=sys.stderr)
        except TheatreError as error:
            failed += 1
            print(f"{printable(path)}: {printable(error, 1_000)}", file=sys.stderr)
    print(f"{len(files) - failed} of {len(files)} files valid")
    return EXIT_BAD_INPUT if failed else 0


def check_file(path: Path) -> str:
    """Validate one file as what it is (an experiment or a scenario, by its keys); returns a
    one-line description of it."""
    # The config layer and the theatre, never the sweep runner (pandas, pyarrow, Mesa).
    from wargame.config.loader import LoadedExperiment, load_file
    from wargame.config.schema import Scenario, late_injects_note
    from wargame.engine.theatre import Theatre

    loaded = load_file(path)
    if isinstance(loaded, LoadedExperiment):
        from wargame.experiments.preflight import preflight  # experiments only: the metrics

        points = len(preflight(loaded).rows)  # every check `run.py sweep` makes before it runs
        experiment = loaded.experiment
        note = late_injects_note(
            Scenario.model_validate(loaded.base_data), experiment.rounds, "each run of this sweep"
        )
        if note:
            print(f"{printable(path)}: {note}", file=sys.stderr)
        return (
            f"experiment {experiment.name}: {points} points x {experiment.replicates} "
            f"replicates = {points * experiment.replicates:,} runs"
        )
    Theatre(loaded)  # geography only the built theatre can check (routes over sea lanes)
    note = late_injects_note(loaded, loaded.clock.rounds, run=None)
    if note:  # valid (a run may be longer than clock.rounds), but worth knowing
        print(f"{printable(path)}: {note}", file=sys.stderr)
    return f"{loaded.name}: {len(loaded.nodes)} nodes, {len(loaded.edges)} edges"


def interrupted_message(args: argparse.Namespace) -> str:
    """What is true after Ctrl-C, which depends on the command."""
    if args.command == "simulate":
        written = getattr(args, "written", None)
        if written:
            return f"interrupted after writing {printable(written[0].parent)}"
        return "interrupted: nothing was written" + (
            f" ({printable(args.out)} is as it was)" if args.out else ""
        )
    if args.command == "sweep":
        return "interrupted: finished runs are stored; run the same command again to resume"
    if args.command == "play":
        return "stopped the game server"
    if args.command == "calibrate":
        return "interrupted: no report was written (finished sweeps are in --out/sweeps)"
    return "interrupted"


def main(argv: list[str] | None = None) -> int:
    """Run one command. SIGTERM (`kill PID`) stops it as Ctrl-C does (a sweep stores its
    finished runs and stops its workers; simulate writes nothing half-way), says so and exits
    143 (128 + 15); a second SIGTERM ends the process at once."""
    terminated: list[int] = []

    def on_sigterm(signum, frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        terminated.append(signum)
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        status = main_unguarded(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if terminated and status == 130:
        print(f"run.py: stopped by SIGTERM (exit {EXIT_TERMINATED})", file=sys.stderr)
        return EXIT_TERMINATED
    return status


def main_unguarded(argv: list[str] | None) -> int:
    if sys.stdout is None:  # started with stdout closed (`>&-`): every result would be lost
        if sys.stderr is not None:
            print(
                "run.py: standard output is closed, so nothing could be shown; "
                "redirect it to a file or to /dev/null instead",
                file=sys.stderr,
            )
        return EXIT_BAD_INPUT
    for stream in (sys.stdout, sys.stderr):
        # Text that cannot be encoded (undecodable bytes from arguments, an ASCII-only
        # terminal) is shown escaped rather than raising UnicodeEncodeError mid-run.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        status = run_command(build_parser(), argv)
        sys.stdout.flush()  # report a full stdout here, not at interpreter exit
        return status
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        silence_stdout()
        return 0
    except KeyboardInterrupt:  # before a command started (reading arguments)
        print("\ninterrupted: nothing was done", file=sys.stderr)
        return 130
    except OSError as error:
        # Writing to stdout failed (a full disk behind a redirect, a closed descriptor), or a
        # file operation nobody expected did: one line, not a traceback.
        if error.filename is None:
            silence_stdout()
            print(
                f"run.py: cannot write to standard output ({error.strerror or error})",
                file=sys.stderr,
            )
        else:
            print(
                f"run.py: {printable(error.filename)}: {error.strerror or error}", file=sys.stderr
            )
        return 1


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run_command(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    # `run.py` alone plays in the browser; options without a command (`run.py --port 9000`)
    # are play's too.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["play", *argv]
    args = parser.parse_args(argv)  # argparse itself exits 2 with a usage message
    try:
        if args.command == "play":
            return play(args)
        if args.command == "simulate":
            return simulate(args)
        if args.command == "sweep":
            return sweep(args)
        if args.command == "analyse":
            return analyse(args)
        if args.command == "calibrate":
            return calibrate(args)
        return validate(args)
    except KeyboardInterrupt:
        print(f"\n{interrupted_message(args)}", file=sys.stderr)
        return 130
    except SweepStoppedError as error:
        print(f"sweep stopped: {printable(error, 1_000)}", file=sys.stderr)
        return 1
    except input_errors() as error:  # evaluated only once a command has raised
        print(input_error_message(args, error), file=sys.stderr)
        return EXIT_BAD_INPUT


def input_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input: exit 2 with one message, no traceback. The loader's and
    the theatre's are imported here, not at the top, so `--help` stays light; a command that
    raised one has loaded its module already."""
    from wargame.config.loader import ScenarioError
    from wargame.engine.theatre import TheatreError

    return (ScenarioError, TheatreError, OutputError, StoreError, ClusterError, PlayError)


def input_error_message(args: argparse.Namespace, error: Exception) -> str:
    from wargame.engine.theatre import TheatreError  # loaded already: see input_errors

    if isinstance(error, TheatreError):
        # Problems only the built theatre can see (e.g. a route with no sea-lane path).
        where = getattr(args, "scenario", "scenario")
        return f"{printable(where)}: {printable(error, 1_000)}"
    return str(error)
