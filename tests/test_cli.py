"""Tests for the command line (`run.py simulate`, `run.py validate`), run as a user would: a
subprocess in the repository root. Each command costs a few seconds of imports, so the runs
start together once per module and the tests read their results.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from wargame.cli.main import build_parser, main

REPO = Path(__file__).resolve().parents[1]
RUN = str(REPO / "run.py")
DEFAULT_SCENARIO = REPO / "configs" / "scenarios" / "gulf_2026.yaml"
TIMEOUT = 180

# The right-hand numeric columns of the table, in order (the left ones hold text with spaces).
NUMERIC_COLUMNS = (
    "transits",
    "struck",
    "fired",
    "iBM",
    "iCM",
    "iUAV",
    "iAShM",
    "leaked",
    "failed",
    "CX",
)
INTERCEPTION_COLUMNS = {"iBM": "ballistic", "iCM": "cruise", "iUAV": "drone", "iAShM": "anti_ship"}
HEADER_COLUMNS = ("rnd", "date", "rung", "MOU", "channel", "IRGC", "CENTCOM", *NUMERIC_COLUMNS)
KIND_LABELS = {
    "ballistic": "ballistic",
    "cruise": "cruise",
    "drone": "drone",
    "anti-ship": "anti_ship",
}
THREAT_LINE = re.compile(
    r"^\s+([a-z-]+):\s+(\d+) launched = (\d+) intercepted \+ (\d+) leaked \+ (\d+) failed in flight"
)
SUMMARY_LABELS = (
    "MOU:",
    "highest rung:",
    "phase sequence:",
    "leakers:",
    "interceptor spend:",
    "attacker spend:",
    "host tolerance:",
    "force majeure days:",
    "casualties:",
    "shipping:",
)
METRIC_COLUMNS = (
    "round",
    "date",
    "rung",
    "mou",
    "channel",
    "transits",
    "intercepted_ballistic",
    "intercepted_drone",
    "launched",
    "leakers",
    "failed_in_flight",
    "vessels_struck",
    "cost_exchange",
)
EVENT_KEYS = {"round", "actor", "action", "target", "outcome", "sentence", "breakdown"}
ROW = re.compile(r"^\s*(\d+)\s+(\d{4}-\d\d-\d\d)\s")


@dataclass
class Ran:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    out: Path | None


def forced_salvos(folder: Path) -> Path:
    """The baseline with IRGC salvos on host states scripted every third round: threats are
    launched, intercepted, leak and fail in flight whatever the seed's stream does."""
    injects = "".join(
        f"  - {{round: {r}, kind: action, actor: irgc, action: salvo_hosts}}\n"
        for r in range(3, 40, 3)
    )
    path = folder / "forced_salvos.yaml"
    path.write_text(
        f"extends: {json.dumps(str(DEFAULT_SCENARIO))}\nname: forced salvos\ninjects:\n{injects}",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Ran]:
    """Every CLI invocation the tests need, started in parallel."""
    base = tmp_path_factory.mktemp("cli")
    forced = str(forced_salvos(base))
    plans: dict[str, tuple[list[str], Path | None]] = {
        "seed3": (["simulate", "--rounds", "12", "--seed", "3"], base / "seed3"),
        "seed3_again": (["simulate", "--rounds", "12", "--seed", "3"], base / "seed3_again"),
        # Scripted salvos give non-zero threat and spend numbers by construction; the same
        # run checks --format csv and --quiet.
        "seed1_csv_quiet": (
            ["simulate", "--scenario", forced, "--rounds", "40", "--seed", "1"]
            + ["--format", "csv", "--quiet"],
            base / "seed1",
        ),
        "seed4": (["simulate", "--rounds", "12", "--seed", "4", "--quiet"], base / "seed4"),
        # Bytes that are not UTF-8 (and an escape) in an argument: shown escaped.
        "undecodable_out": (
            ["simulate", "--rounds", "2", "--quiet"],
            base / os.fsdecode(b"run\xff\x1b"),
        ),
        "validate": (["validate", "configs/"], None),
        "out_parent_is_a_file": (["simulate"], Path(RUN) / "sub"),
    }
    procs = {}
    for name, (args, out) in plans.items():
        full = [*args, "--out", str(out)] if out is not None else args
        procs[name] = (
            full,
            out,
            subprocess.Popen(
                [sys.executable, RUN, *full],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
    results = {}
    for name, (full, out, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
        results[name] = Ran(full, proc.returncode, stdout, stderr, out)
    return results


def ok(run: Ran) -> Ran:
    assert run.returncode == 0, f"{run.args} exited {run.returncode}:\n{run.stderr}"
    return run


def table_rows(stdout: str) -> list[re.Match]:
    return [m for line in stdout.splitlines() if (m := ROW.match(line))]


def table_numbers(stdout: str) -> list[dict[str, float]]:
    """The numeric columns of every table row, by header name."""
    header = next(line for line in stdout.splitlines() if line.split()[:1] == ["rnd"])
    assert tuple(header.split()[-len(NUMERIC_COLUMNS) :]) == NUMERIC_COLUMNS, header
    return [
        dict(
            zip(NUMERIC_COLUMNS, map(float, m.string.split()[-len(NUMERIC_COLUMNS) :]), strict=True)
        )
        for m in table_rows(stdout)
    ]


def threat_lines(stdout: str) -> dict[str, tuple[int, int, int, int]]:
    """Summary threat lines: kind -> (launched, intercepted, leaked, failed in flight)."""
    found = {}
    for line in stdout.splitlines():
        if match := THREAT_LINE.match(line):
            found[KIND_LABELS[match.group(1)]] = tuple(int(g) for g in match.groups()[1:])
    assert set(found) == set(KIND_LABELS.values()), f"threat lines missing:\n{stdout}"
    return found


def summary_lines(stdout: str) -> dict[str, str]:
    """Each summary label -> the text after it."""
    found = {}
    for line in stdout.splitlines():
        for label in SUMMARY_LABELS:
            if line.strip().startswith(label):
                found[label] = line.strip()[len(label) :].strip()
    return found


def parse_money(text: str) -> tuple[float, float]:
    """'$1.2M' -> (1.2e6, half a printed unit: the rounding the text allows)."""
    match = re.fullmatch(r"\$(-?[\d.]+)([kMB]?)", text)
    assert match, f"not a money amount: {text!r}"
    scale = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}[match.group(2)]
    decimals = len(match.group(1).partition(".")[2])
    return float(match.group(1)) * scale, 0.5 * 10**-decimals * scale + 1e-9


# --- simulate: the table ---------------------------------------------------------------------


def test_simulate_prints_a_header_and_one_row_per_round(runs):
    run = ok(runs["seed3"])
    header = next(line for line in run.stdout.splitlines() if line.split()[:1] == ["rnd"])
    for column in HEADER_COLUMNS:
        assert column in header.split(), f"{column!r} missing from header {header!r}"
    rows = table_rows(run.stdout)
    assert len(rows) == 12
    assert [int(m.group(1)) for m in rows] == list(range(1, 13))
    assert [m.group(2) for m in rows] == [f"2026-04-{day:02d}" for day in range(1, 13)]


def test_simulate_prints_every_summary_line(runs):
    for name in ("seed3", "seed1_csv_quiet"):
        lines = summary_lines(ok(runs[name]).stdout)
        missing = [label for label in SUMMARY_LABELS if label not in lines]
        assert not missing, f"{name}: summary lacks {missing}"


@pytest.mark.parametrize("name", ["seed3", "seed1_csv_quiet"])
def test_summary_numbers_equal_summary_json(runs, name):
    run = ok(runs[name])
    summary = json.loads((run.out / "summary.json").read_text())
    lines = summary_lines(run.stdout)

    if summary["mou_collapsed_round"]:
        assert lines["MOU:"] == f"collapsed in round {summary['mou_collapsed_round']}"
    else:
        assert summary["mou_final"].lower().replace("_", " ") in lines["MOU:"].replace("_", " ")

    rung = re.match(r"(\d+) \((.+)\)", lines["highest rung:"])
    assert int(rung.group(1)) == summary["highest_rung"]
    assert rung.group(2) == summary["highest_rung_name"]

    sequence = lines["phase sequence:"]
    assert sequence == (" -> ".join(summary["phase_sequence"]) or "none")

    for kind, printed in threat_lines(run.stdout).items():
        assert printed == (
            summary["launched"][kind],
            summary["intercepted"][kind],
            summary["leaked"][kind],
            summary["failed_in_flight"][kind],
        ), kind
    assert lines["leakers:"].split()[0] == str(summary["leakers"])

    for label, key in (
        ("interceptor spend:", "interceptor_spend_usd"),
        ("attacker spend:", "attacker_spend_usd"),
    ):
        printed, slack = parse_money(lines[label])
        assert abs(printed - summary[key]) <= slack, (label, lines[label], summary[key])

    tolerance_text = lines["host tolerance:"].split(";")[0]
    printed_tolerance = {
        host: float(value) for host, value in re.findall(r"([a-z_]+) ([\d.]+)", tolerance_text)
    }
    assert set(printed_tolerance) == set(summary["host_tolerance"])
    for host, value in summary["host_tolerance"].items():
        assert printed_tolerance[host] == pytest.approx(value, abs=0.005)

    assert float(lines["force majeure days:"]) == pytest.approx(
        summary["force_majeure_days"], abs=0.5
    )
    assert int(lines["casualties:"]) == summary["casualties"]


def test_scripted_salvos_show_non_zero_spend(runs):
    # Guards the comparison above from passing on all-zero summaries only (the scenario
    # scripts a salvo on host states every third round).
    summary = json.loads((ok(runs["seed1_csv_quiet"]).out / "summary.json").read_text())
    assert summary["interceptor_spend_usd"] > 0 and summary["attacker_spend_usd"] > 0
    assert sum(summary["launched"].values()) > 0


# --- simulate: the files ---------------------------------------------------------------------


def test_out_writes_parquet_metrics_events_and_summary(runs):
    run = ok(runs["seed3"])
    assert sorted(p.name for p in run.out.iterdir()) == [
        "events.jsonl",
        "metrics.parquet",
        "summary.json",
    ]
    metrics = pd.read_parquet(run.out / "metrics.parquet")
    assert len(metrics) == 12
    missing = [c for c in METRIC_COLUMNS if c not in metrics.columns]
    assert not missing, f"metrics.parquet lacks {missing}"
    assert metrics["round"].tolist() == list(range(1, 13))
    assert metrics["date"].iloc[0] == "2026-04-01" and metrics["date"].iloc[-1] == "2026-04-12"
    # The printed table shows the same transits as the file.
    printed = table_numbers(run.stdout)
    assert [row["transits"] for row in printed] == metrics["transits"].tolist()
    assert [row["struck"] for row in printed] == metrics["vessels_struck"].tolist()

    lines = (run.out / "events.jsonl").read_text().splitlines()
    assert lines, "no events logged in 12 rounds"
    for line in lines:
        event = json.loads(line)
        assert set(event) >= EVENT_KEYS, f"event lacks {EVENT_KEYS - set(event)}"
        assert 1 <= event["round"] <= 12
        assert isinstance(event["breakdown"], dict)

    summary = json.loads((run.out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["rounds"] == 12


def test_format_csv_writes_metrics_csv(runs):
    run = ok(runs["seed1_csv_quiet"])
    assert sorted(p.name for p in run.out.iterdir()) == [
        "events.jsonl",
        "metrics.csv",
        "summary.json",
    ]
    csv = pd.read_csv(run.out / "metrics.csv")
    parquet = pd.read_parquet(ok(runs["seed3"]).out / "metrics.parquet")
    assert len(csv) == 40
    assert list(csv.columns) == list(parquet.columns)
    assert csv["round"].tolist() == list(range(1, 41))
    summary = json.loads((run.out / "summary.json").read_text())
    assert csv["leakers"].sum() == summary["leakers"]
    assert csv["transits"].sum() == summary["transits"]


def test_quiet_prints_no_table_but_the_summary(runs):
    run = ok(runs["seed1_csv_quiet"])
    assert not table_rows(run.stdout)
    assert not any(line.split()[:1] == ["rnd"] for line in run.stdout.splitlines())
    assert set(summary_lines(run.stdout)) == set(SUMMARY_LABELS)


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_gives_identical_stdout_and_files(runs):
    first, second = ok(runs["seed3"]), ok(runs["seed3_again"])
    # Only the output folder named in the final "wrote ..." line differs.
    assert first.stdout.replace(str(first.out), "OUT") == second.stdout.replace(
        str(second.out), "OUT"
    )
    for name in ("metrics.parquet", "events.jsonl", "summary.json"):
        assert (first.out / name).read_bytes() == (second.out / name).read_bytes(), name


def test_different_seed_gives_different_output(runs):
    # ~100 Poisson arrivals a day: twelve equal days in two streams would take a broken seed.
    seed3, seed4 = ok(runs["seed3"]), ok(runs["seed4"])
    metrics3 = pd.read_parquet(seed3.out / "metrics.parquet")
    metrics4 = pd.read_parquet(seed4.out / "metrics.parquet")
    assert metrics3["transits"].tolist() != metrics4["transits"].tolist()
    assert summary_lines(seed3.stdout)["shipping:"] != summary_lines(seed4.stdout)["shipping:"]
    assert (seed3.out / "events.jsonl").read_bytes() != (seed4.out / "events.jsonl").read_bytes()


# --- validate --------------------------------------------------------------------------------


def test_validate_configs_says_every_file_is_ok(runs):
    run = ok(runs["validate"])
    files = sorted(p for p in (REPO / "configs").rglob("*") if p.suffix in (".yaml", ".yml"))
    assert files
    for path in files:
        relative = path.relative_to(REPO).as_posix()
        assert any(line.startswith(f"{relative}: ok") for line in run.stdout.splitlines()), (
            f"{relative} not reported ok:\n{run.stdout}"
        )
    assert f"{len(files)} of {len(files)} files valid" in run.stdout
    assert run.stderr == ""


# --- README ----------------------------------------------------------------------------------


def test_readme_documents_the_commands():
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("no README.md yet")
    text = readme.read_text(encoding="utf-8")
    for command in ("run.py simulate", "run.py validate"):
        assert command in text, f"README.md does not document `{command}`"
    for option in ("--seed", "--rounds", "--out"):
        assert option in text, f"README.md does not mention {option}"


# --- simulate: the numbers add up ------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_launched_is_intercepted_plus_leaked_plus_failed_in_table_and_summary(
    tmp_path, capsys, seed
):
    scenario = forced_salvos(tmp_path)
    assert (
        main(["simulate", "--scenario", str(scenario), "--rounds", "40", "--seed", str(seed)]) == 0
    )
    stdout = capsys.readouterr().out
    rows = table_numbers(stdout)
    assert len(rows) == 40
    for row in rows:
        intercepted = sum(row[column] for column in INTERCEPTION_COLUMNS)
        assert row["fired"] == intercepted + row["leaked"] + row["failed"], row
    threats = threat_lines(stdout)
    for kind, (launched, intercepted, leaked, failed) in threats.items():
        assert launched == intercepted + leaked + failed, (kind, threats[kind])
    # The table's column totals are the summary's totals.
    total = {column: sum(row[column] for row in rows) for column in NUMERIC_COLUMNS}
    assert total["fired"] == sum(t[0] for t in threats.values())
    for column, kind in INTERCEPTION_COLUMNS.items():
        assert total[column] == threats[kind][1], column
    assert total["leaked"] == sum(t[2] for t in threats.values())
    assert total["failed"] == sum(t[3] for t in threats.values())
    lines = summary_lines(stdout)
    assert total["leaked"] == int(lines["leakers:"].split()[0])
    shipping = re.match(r"(\d+) transits, (\d+) vessels struck", lines["shipping:"])
    assert (total["transits"], total["struck"]) == tuple(map(int, shipping.groups()))
    # Thirteen scripted salvos of dozens of threats: some leak and some fail in flight, so the
    # identity above is not met by zeros alone.
    assert total["fired"] > 0 and total["leaked"] > 0 and total["failed"] > 0


def test_summary_escapes_control_characters_in_the_scenario_name():
    from wargame.cli.report import summary_text

    summary = json.loads(
        json.dumps(
            {
                "seed": 0,
                "rounds": 1,
                "mou_collapsed_round": None,
                "mou_final": "IN_FORCE",
                "highest_rung": 0,
                "highest_rung_name": "truce holding",
                "phase_sequence": [],
                **{
                    key: dict.fromkeys(KIND_LABELS.values(), 0)
                    for key in ("launched", "intercepted", "leaked", "failed_in_flight")
                },
                "interception_rate": dict.fromkeys(KIND_LABELS.values()),
                "leakers": 0,
                "interceptor_spend_usd": 0.0,
                "attacker_spend_usd": 0.0,
                "cost_exchange": None,
                "us_strike_spend_usd": 0.0,
                "host_damage": 0.0,
                "economic_loss_usd": 0.0,
                "host_tolerance": {},
                "hosts_restricting": [],
                "force_majeure_days": 0.0,
                "casualties": 0,
                "transits": 0,
                "vessels_struck": 0,
                "shipping_loss_usd": 0.0,
            }
        )
    )
    text = summary_text(summary, "evil\x1b[2J\u202ename\n" + "x" * 5000)
    assert "\x1b" not in text and "\u202e" not in text
    assert "evil\\x1b[2J\\u202ename\\x0a" in text
    assert len(text.splitlines()[0]) < 400


# --- --help and the README -------------------------------------------------------------------


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_help_shows_every_default(command):
    sub = subcommands()[command]
    text = " ".join(sub.format_help().split())
    for action in sub._actions:
        if action.default in (None, argparse.SUPPRESS) or action.default is False:
            continue
        shown = f"(default: {action.default})" in text
        explained = "default" in (action.help or "")
        assert shown or explained, f"{command} {action.option_strings}: default not in --help"
    if command == "simulate":
        for expected in ("(default: 0)", "(default: parquet)", "configs/scenarios/gulf_2026.yaml"):
            assert expected in text, expected


def test_readme_simulate_example_seed_is_the_default_or_says_so():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Playing from the command line", 1)[1].split("\n## ", 1)[0]
    command = next(line for line in quick_start.splitlines() if "run.py simulate" in line)
    default = subcommands()["simulate"].get_default("seed")
    seed = re.search(r"--seed (\d+)", command)
    played = int(seed.group(1)) if seed else default
    assert f"seed {played}" in quick_start, "the quick start should name the seed it plays"
    if played != default:
        assert f"default seed is {default}" in quick_start


# --- output paths ----------------------------------------------------------------------------


def bad_out_cases(base: Path) -> dict[str, tuple[str, str]]:
    """name -> (--out value, text the message must contain)."""
    (base / "a_file").write_text("not a folder")
    (base / "foreign").mkdir()
    (base / "foreign" / "notes.txt").write_text("mine")
    (base / "dangling").symlink_to("nowhere")
    (base / "loop").symlink_to("loop_back")
    (base / "loop_back").symlink_to("loop")
    for name in ("events.jsonl", "summary.json", "metrics.parquet", "metrics.csv"):
        (base / f"in_the_way_{name}" / name).mkdir(parents=True)
    cases = {
        "empty": ("", "empty"),
        "dev_null": ("/dev/null", "/dev/null: exists and is not a folder"),
        "existing_file": (str(base / "a_file"), "exists and is not a folder"),
        "parent_is_a_file": (str(base / "a_file" / "sub"), "is a file, not a folder"),
        "under_proc": ("/proc/no_such_dir/out", "/proc/no_such_dir/out: cannot write there"),
        "under_sys": ("/sys/wargame_out", "cannot write there"),
        "foreign_files": (str(base / "foreign"), "notes.txt"),
        "control_characters": (str(base / "a_file" / "x\x1b[2Jy"), "x\\x1b[2Jy"),
        "name_too_long": (str(base / ("n" * 5000)), "cannot use this folder"),
        "path_too_long": (str(base) + "/abc" * 2000, "cannot use this folder"),
        "dangling_link": (str(base / "dangling"), "it is a broken symbolic link (to nowhere"),
        "under_dangling_link": (str(base / "dangling" / "a"), "above it, is a broken symbolic"),
        "link_loop": (str(base / "loop"), "it is a loop of symbolic links"),
        "under_link_loop": (str(base / "loop" / "a" / "b"), "above it, is a loop of symbolic"),
        **{
            f"folder_named_{name}": (
                str(base / f"in_the_way_{name}"),
                f"holds a folder named {name}, where the run writes a file",
            )
            for name in ("events.jsonl", "summary.json", "metrics.parquet", "metrics.csv")
        },
    }
    if os.geteuid() != 0:  # root writes through permission bits
        (base / "read_only").mkdir(mode=0o555)
        cases["read_only_parent"] = (str(base / "read_only" / "out"), "cannot write there")
    return cases


@pytest.mark.parametrize(
    "name",
    [
        "empty",
        "dev_null",
        "existing_file",
        "parent_is_a_file",
        "under_proc",
        "under_sys",
        "foreign_files",
        "control_characters",
        "name_too_long",
        "path_too_long",
        "read_only_parent",
        "dangling_link",
        "under_dangling_link",
        "link_loop",
        "under_link_loop",
        "folder_named_events.jsonl",
        "folder_named_summary.json",
        "folder_named_metrics.parquet",
        "folder_named_metrics.csv",
    ],
)
def test_unusable_out_paths_exit_2_before_the_run(tmp_path, capsys, monkeypatch, name):
    from wargame.experiments import single_run

    cases = bad_out_cases(tmp_path)
    if name not in cases:
        pytest.skip("root writes through permission bits")
    out, expected = cases[name]

    def no_run(*args, **kwargs):
        raise AssertionError("the run started before the output folder was checked")

    monkeypatch.setattr(single_run, "run_once", no_run)
    assert main(["simulate", "--out", out]) == 2
    printed = capsys.readouterr()
    assert expected in printed.err, f"{expected!r} not in {printed.err!r}"
    assert "\x1b" not in printed.err and "Summary" not in printed.out
    assert sorted(p.name for p in (tmp_path / "foreign").iterdir()) == ["notes.txt"]
    assert not (tmp_path / "read_only" / "out").exists()
    assert not (tmp_path / "nowhere").exists(), "a broken link was followed"


def test_a_link_to_an_existing_folder_is_used_as_that_folder(tmp_path, capsys):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    assert main(["simulate", "--rounds", "2", "--quiet", "--out", str(tmp_path / "link")]) == 0
    capsys.readouterr()
    assert (tmp_path / "link").is_symlink()
    assert folder_names(tmp_path / "real") == ["events.jsonl", "metrics.parquet", "summary.json"]


def test_an_unusable_out_path_from_the_command_line_gives_no_traceback(runs):
    run = runs["out_parent_is_a_file"]
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stdout == "" and "is a file, not a folder" in run.stderr


def folder_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(("first", "second"), [("csv", "parquet"), ("parquet", "csv")])
def test_rewriting_a_folder_in_another_format_leaves_only_the_new_run(
    tmp_path, capsys, first, second
):
    out = tmp_path / "run"
    (out / ".writing-killed").mkdir(parents=True)  # left by a write that was SIGKILLed
    (out / ".writing-killed" / "metrics.csv").write_text("half")
    args = ["simulate", "--rounds", "3", "--quiet", "--out", str(out)]
    assert main([*args, "--seed", "1", "--format", first]) == 0
    assert folder_names(out) == sorted(["events.jsonl", "summary.json", f"metrics.{first}"])
    assert main([*args, "--seed", "2", "--format", second]) == 0
    capsys.readouterr()
    assert folder_names(out) == sorted(["events.jsonl", "summary.json", f"metrics.{second}"])
    assert json.loads((out / "summary.json").read_text())["seed"] == 2


@pytest.mark.parametrize("failing_move", [1, 2, 3, 4, 5, 6])
def test_a_failed_move_is_undone_and_leaves_the_previous_run(
    tmp_path, capsys, monkeypatch, failing_move
):
    """Whichever move of the swap fails (an old file aside, a new one in), the folder ends as it
    was, byte for byte, and the error names the folder, not the hidden staging one."""
    from wargame.experiments import outputs

    out = tmp_path / "run"
    args = ["simulate", "--rounds", "3", "--quiet", "--out", str(out)]
    assert main([*args, "--seed", "1"]) == 0
    before = {name: (out / name).read_bytes() for name in folder_names(out)}
    moves = []
    real_replace = os.replace

    def replace(source, target):
        moves.append(Path(target).name)
        if len(moves) == failing_move:
            raise OSError(28, "No space left on device", str(target))
        real_replace(source, target)

    monkeypatch.setattr(outputs.os, "replace", replace)
    assert main([*args, "--seed", "2", "--format", "csv"]) == 2
    error = capsys.readouterr().err
    assert f"{out}: cannot write results (No space left on device)" in error
    assert ".writing-" not in error
    assert {name: (out / name).read_bytes() for name in folder_names(out)} == before
    monkeypatch.undo()
    assert main([*args, "--seed", "3"]) == 0
    assert folder_names(out) == ["events.jsonl", "metrics.parquet", "summary.json"]


def test_a_failed_write_removes_the_folder_it_created(tmp_path, capsys, monkeypatch):
    from wargame.experiments import outputs

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "stage_files", no_space)
    out = tmp_path / "new" / "deeper"
    assert main(["simulate", "--rounds", "2", "--quiet", "--out", str(out)]) == 2
    assert "cannot write results" in capsys.readouterr().err
    assert folder_names(tmp_path) == []


# --- interruption and the terminal -----------------------------------------------------------


def wait_until_running(proc: subprocess.Popen, deadline: float = 60.0) -> None:
    """Wait until `simulate` is inside its run (pandas loaded), not still importing."""
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        assert proc.poll() is None, "simulate ended before it could be interrupted"
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
        if "pandas/_libs" in maps:
            time.sleep(1.0)
            return
        time.sleep(0.1)
    raise AssertionError("simulate never started its run")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
@pytest.mark.slow  # starts run.py simulate and signals it: the fast tier's time, CI runs it
@pytest.mark.parametrize(
    ("stop", "code", "said"),
    [
        (signal.SIGINT, 130, "interrupted: nothing was written"),  # Ctrl-C
        (signal.SIGTERM, 143, "stopped by SIGTERM (exit 143)"),  # `kill PID`
    ],
)
def test_a_stopped_simulate_says_so_writes_nothing_and_exits(stop, code, said, tmp_path):
    out = tmp_path / "run"
    assert main(["simulate", "--rounds", "2", "--quiet", "--out", str(out)]) == 0
    before = {name: (out / name).read_bytes() for name in folder_names(out)}
    proc = subprocess.Popen(
        [sys.executable, RUN, "simulate", "--rounds", "100000", "--out", str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job starts with SIGINT ignored; the user's terminal does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_until_running(proc)
        proc.send_signal(stop)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == code, stderr
    assert "interrupted: nothing was written" in stderr and said in stderr
    assert "resume" not in stderr and "Traceback" not in stderr
    assert {name: (out / name).read_bytes() for name in folder_names(out)} == before
    assert folder_names(tmp_path) == ["run"]  # no staging folder left beside it


@pytest.mark.slow  # starts run.py once per broken output: the fast tier's time, CI runs it
def test_output_errors_on_stdout_give_a_message_not_a_traceback():
    args = [sys.executable, RUN, "simulate", "--rounds", "3"]
    pipe = subprocess.PIPE
    with open("/dev/full", "w") as full:  # the three start together: each costs its imports
        to_full = subprocess.Popen(args, cwd=REPO, stdout=full, stderr=pipe, text=True)
    to_closed = subprocess.Popen(
        args, cwd=REPO, stderr=pipe, text=True, preexec_fn=lambda: os.close(1)
    )
    to_reader = subprocess.Popen(args, cwd=REPO, stdout=pipe, stderr=pipe, text=True)
    # A reader that goes away (`| head -1`) ends the command quietly.
    to_reader.stdout.readline()
    to_reader.stdout.close()
    assert to_reader.wait(timeout=TIMEOUT) == 0
    assert "Traceback" not in to_reader.stderr.read()
    to_reader.stderr.close()
    # A full disk behind stdout: one line and exit 1.
    stderr = to_full.communicate(timeout=TIMEOUT)[1]
    assert to_full.returncode == 1 and "Traceback" not in stderr
    assert "cannot write to standard output" in stderr
    # Started with stdout closed: refused before the run, whose output would all be lost.
    stderr = to_closed.communicate(timeout=TIMEOUT)[1]
    assert to_closed.returncode == 2 and "Traceback" not in stderr
    assert "standard output is closed" in stderr


def test_undecodable_bytes_in_out_are_shown_escaped(runs):
    run = ok(runs["undecodable_out"])
    last = run.stdout.splitlines()[-1]
    assert last.startswith("wrote ") and last.endswith("/run\\udcff\\x1b"), last
    assert "summary.json" in last
    assert (run.out / "summary.json").is_file()


@pytest.mark.parametrize(
    "text", ["\u0663", "\uff13", "3_0", " 3", "3\n", "+3", "0x3", "3.0", "", "\u00b3"]
)
@pytest.mark.parametrize("option", ["--seed", "--rounds"])
def test_numeric_options_take_ascii_digits_only(capsys, option, text):
    """int() takes Arabic-Indic and full-width digits, '_' and spaces; an option does not."""
    with pytest.raises(SystemExit) as caught:
        main(["simulate", option, text])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert f"{option} must be a whole number, got {text!r} (digits 0-9 only)" in error


def test_numeric_options_still_take_plain_digits():
    parser = build_parser()
    args = parser.parse_args(["simulate", "--seed", "0123", "--rounds", "7"])
    assert (args.seed, args.rounds) == (123, 7)
    with pytest.raises(SystemExit):
        parser.parse_args(["sweep", "x.yaml", "--workers", "0"])
