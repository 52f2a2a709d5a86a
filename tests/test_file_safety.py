"""Files that are not YAML text, or are YAML built to explode, are refused at once, by every
route that reads a file: a scenario, an experiment, a scenario's `extends:` and an
experiment's `base_scenario:`; in process and through `run.py validate`, `simulate` and `sweep`.

Each in-process check runs in a child process with a timeout and a memory limit: a FIFO that
blocks or a /dev/zero read without a cap must fail this test, not hang or swamp the machine.
Also here: problems blamed on the file that supplied them, the one-line hint for a scenario
passed as an experiment (and back), and user text (control characters, megabytes of it) kept
off the terminal.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from wargame.config.loader import (
    MAX_FILE_BYTES,
    ScenarioError,
    load_experiment,
    load_scenario,
    read_yaml,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
SWEEP = ROOT / "configs" / "sweeps" / "policy_levers.yaml"
CHILD_TIMEOUT_S = 30
CHILD_MEMORY = 2 * 2**30  # bytes of address space a checking child may take
CLI_LIMIT_S = 60  # far under a hang (a FIFO read blocks forever), far over a loaded machine


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs": each level lists the one before `width` times (9^9 leaves)."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """kind -> (path, what the refusal must say)."""
    folder = tmp_path_factory.mktemp("targets")
    fifo = folder / "fifo.yaml"
    os.mkfifo(fifo)
    big = folder / "big.yaml"
    big.write_text("name: big\n# " + "x" * MAX_FILE_BYTES + "\n", encoding="utf-8")
    bomb = folder / "bomb.yaml"
    bomb.write_text(alias_bomb(), encoding="utf-8")
    endless = folder / "endless.yaml"
    endless.write_text("name: &a [*a]\n", encoding="utf-8")
    (folder / "folder.yaml").mkdir()
    link = folder / "zero_link.yaml"
    link.symlink_to("/dev/zero")
    found = {
        "fifo": (fifo, "is a named pipe (FIFO), expected a YAML file"),
        "dev_zero": (Path("/dev/zero"), "is a character device, expected a YAML file"),
        "link_to_dev_zero": (link, "is a character device, expected a YAML file"),
        "big_file": (big, f"at most {MAX_FILE_BYTES // 2**20} MiB is read"),
        "alias_bomb": (bomb, "aliases expand this document by"),
        "endless_alias": (endless, "an alias refers to a node that contains it"),
        "folder": (folder / "folder.yaml", "is a folder, expected a YAML file"),
        "missing": (folder / "missing.yaml", "not found"),
    }
    kallsyms = Path("/proc/kallsyms")  # a regular file of size 0 that holds megabytes
    if kallsyms.exists() and len(kallsyms.read_bytes()) > MAX_FILE_BYTES:
        found["size_not_reported"] = (kallsyms, f"holds more than {MAX_FILE_BYTES // 2**20} MiB")
    sock_path = folder / "sock.yaml"
    if len(str(sock_path)) < 100:  # AF_UNIX paths are short
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(sock_path))
        found["socket"] = (sock_path, "is a socket, expected a YAML file")
    return found


KINDS = [
    "fifo",
    "dev_zero",
    "link_to_dev_zero",
    "big_file",
    "alias_bomb",
    "endless_alias",
    "folder",
    "missing",
    "socket",
    "size_not_reported",
]
# A problem inside the text (not reading it) is the target's own, even when reached by reference.
CONTENT_KINDS = {"alias_bomb", "endless_alias"}

CHECKER = textwrap.dedent(
    """
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
    from wargame.config.loader import ScenarioError, load_experiment, load_scenario
    for route, path in json.loads(sys.argv[1]):
        load = load_experiment if route in ("experiment", "base_scenario") else load_scenario
        started = time.perf_counter()
        try:
            load(path)
            result = {{"accepted": True}}
        except ScenarioError as error:
            result = {{"files": error.files, "problems": error.problems}}
        result.update(route=route, seconds=time.perf_counter() - started)
        print(json.dumps(result), flush=True)
    """
)


def referring_files(folder: Path, target: Path) -> dict[str, Path]:
    """route -> the file to load: the target itself, or a small file that refers to it."""
    child = folder / "child.yaml"
    child.write_text(yaml.safe_dump({"extends": str(target), "name": "child"}), encoding="utf-8")
    experiment = read_yaml(SWEEP)
    experiment.update(base_scenario=str(target), output=str(folder / "out"))
    sweep = folder / "experiment.yaml"
    sweep.write_text(yaml.safe_dump(experiment), encoding="utf-8")
    return {"scenario": target, "experiment": target, "extends": child, "base_scenario": sweep}


@pytest.mark.parametrize("kind", KINDS)
def test_every_route_refuses_at_once_naming_the_file(kind, targets, tmp_path):
    if kind not in targets:
        pytest.skip(f"{kind}: not available on this machine")
    target, expect = targets[kind]
    routes = referring_files(tmp_path, target)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHECKER.format(memory=CHILD_MEMORY),
            json.dumps([[route, str(path)] for route, path in routes.items()]),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["route"] for r in results] == list(routes)
    for result in results:
        route = result["route"]
        assert not result.get("accepted"), f"{kind} accepted as {route}"
        assert result["seconds"] < 1.0, f"{kind} as {route}: {result['seconds']:.1f} s"
        assert len(result["problems"]) == 1, result["problems"]
        problem, file = result["problems"][0], result["files"][0]
        assert expect in problem, (route, problem)
        if route in ("scenario", "experiment") or kind in CONTENT_KINDS:
            assert file == str(target), (route, file)
        else:  # the file that names the target is at fault, in the field that names it
            assert file == str(routes[route]), (route, file)
            assert problem.startswith(f"{route}: '{target}' "), problem


def test_the_shipped_configs_use_no_aliases():
    """Aliases are allowed within MAX_ALIAS_NODES; none of the shipped files needs them."""
    for path in (ROOT / "configs").rglob("*.yaml"):
        events = yaml.parse(path.read_text(encoding="utf-8"))
        assert not any(isinstance(event, yaml.AliasEvent) for event in events), path


def test_a_few_aliases_are_fine(tmp_path):
    """Within the limit, anchors and aliases work as YAML says: here hosts share one block."""
    data = read_yaml(DEFAULT)
    hosts = data["actors"]["hosts"]
    for host in hosts[1:]:
        host["weights"] = hosts[0]["weights"]  # one object: PyYAML writes an anchor and aliases
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    assert "&id001" in text and "*id001" in text
    path = tmp_path / "shared.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    assert len({host.weights for host in scenario.actors.hosts}) == 1


# --- end to end through run.py -------------------------------------------------------------------


# run.py under a memory limit (set in the child: preexec_fn is unsafe with threads).
LIMITED_RUN = textwrap.dedent(
    f"""
    import resource, runpy, sys
    resource.setrlimit(resource.RLIMIT_AS, ({CHILD_MEMORY}, {CHILD_MEMORY}))
    sys.argv = ["run.py", *sys.argv[1:]]
    runpy.run_path("run.py", run_name="__main__")
    """
)


def run_py(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LIMITED_RUN, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done, time.perf_counter() - started


def test_cli_refuses_each_kind_by_every_command(targets, tmp_path):
    kinds = [kind for kind in KINDS if kind in targets and kind != "folder"]  # validate recurses
    fifo, _ = targets["fifo"]
    zero, _ = targets["dev_zero"]
    bomb, _ = targets["alias_bomb"]
    folder, _ = targets["folder"]
    routes = referring_files(tmp_path, fifo)
    commands = {
        "validate": ["validate", *(str(targets[kind][0]) for kind in kinds)],
        "simulate fifo": ["simulate", "--scenario", str(fifo), "--rounds", "1"],
        "simulate zero": ["simulate", "--scenario", str(zero), "--rounds", "1"],
        "simulate bomb": ["simulate", "--scenario", str(bomb), "--rounds", "1"],
        "simulate folder": ["simulate", "--scenario", str(folder), "--rounds", "1"],
        "simulate extends fifo": [
            "simulate",
            "--scenario",
            str(routes["extends"]),
            "--rounds",
            "1",
        ],
        "sweep fifo": ["sweep", str(fifo), "--workers", "1"],
        "sweep base fifo": ["sweep", str(routes["base_scenario"]), "--workers", "1"],
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(
            zip(commands, pool.map(lambda args: run_py(*args), commands.values()), strict=True)
        )
    named = {
        "simulate fifo": fifo,
        "simulate zero": zero,
        "simulate bomb": bomb,
        "simulate folder": folder,
        "simulate extends fifo": routes["extends"],
        "sweep fifo": fifo,
        "sweep base fifo": routes["base_scenario"],
    }
    for name, (done, seconds) in results.items():
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, (name, done.stderr)
        assert seconds < CLI_LIMIT_S, (name, seconds)
        if name in named:
            assert f"{named[name]}: " in done.stderr, (name, done.stderr)
    validate, _ = results["validate"]
    for kind in kinds:
        path, expect = targets[kind]
        assert f"{path}: {expect}" in validate.stderr or (
            f"{path}: " in validate.stderr and expect in validate.stderr
        ), (kind, validate.stderr)
    assert f"0 of {len(kinds)} files valid" in validate.stdout


# --- which file is blamed ------------------------------------------------------------------------


def scenario_with(path: Path, **changes) -> Path:
    data = read_yaml(DEFAULT)
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for key in parents:
            node = node[key]
        node[last] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_a_typo_in_the_base_is_blamed_on_the_base(tmp_path):
    base = scenario_with(tmp_path / "base.yaml")
    text = base.read_text(encoding="utf-8").replace("  crew:", "  crewe:", 1)
    base.write_text(text, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nlevers: {mou_linkage: insulted}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    lines = dict(zip(caught.value.problems, caught.value.files, strict=True))
    typo = next(p for p in lines if p.startswith("shipping.crewe: unknown field"))
    assert lines[typo] == str(base) and f"reached by extends: from {child}" in typo
    bad = next(p for p in lines if p.startswith("levers.mou_linkage: "))
    assert lines[bad] == str(child) and "'insulted'" in bad
    # The misspelt key also leaves the real one unset (every behavioural field is required),
    # which is blamed on the base too.
    missing = next(p for p in lines if p.startswith("shipping.crew: required field is missing"))
    assert lines[missing] == str(base)
    assert len(lines) == 3
    assert str(caught.value).splitlines()[0].startswith(f"{base}: shipping.crew")


def test_a_bad_value_in_the_base_is_blamed_on_the_base_unless_the_child_replaces_it(tmp_path):
    scenario_with(tmp_path / "base.yaml", **{"levers.doctrine_split": 7})
    (tmp_path / "quiet.yaml").write_text("extends: base.yaml\nname: quiet\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "quiet.yaml")
    assert caught.value.files == [str(tmp_path / "base.yaml")]
    assert caught.value.problems[0].startswith("levers.doctrine_split: ")
    # The child's own bad value for that field is the child's problem ...
    worse = tmp_path / "worse.yaml"
    worse.write_text("extends: base.yaml\nlevers: {doctrine_split: 9}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(worse)
    assert caught.value.files == [str(worse)] and "(got 9" in caught.value.problems[0]
    # ... and a good one fixes it.
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text("extends: base.yaml\nlevers: {doctrine_split: 0.3}\n", encoding="utf-8")
    assert load_scenario(fixed).levers.doctrine_split == 0.3


def test_a_partial_base_is_fine_and_only_what_the_merge_lacks_is_reported(tmp_path):
    """A base may be partial on purpose (levers only): its own missing sections are no problem
    once the child supplies them. A section both lack is reported once, against the base (the
    base alone lacks it too), saying which file reached it."""
    (tmp_path / "levers.yaml").write_text("levers: {mou_linkage: insulated}\n", encoding="utf-8")
    full = read_yaml(DEFAULT)
    full["extends"] = "levers.yaml"
    full.get("levers", {}).pop("mou_linkage", None)  # the base supplies it
    child = tmp_path / "child.yaml"
    child.write_text(yaml.safe_dump(full), encoding="utf-8")
    assert load_scenario(child).levers.mou_linkage == "insulated"
    del full["mou"]
    child.write_text(yaml.safe_dump(full), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert caught.value.problems == [
        f"mou: required field is missing (reached by extends: from {child})"
    ]
    assert caught.value.files == [str(tmp_path / "levers.yaml")]


def test_extends_to_a_folder_says_folder(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text("extends: /tmp\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert caught.value.problems == ["extends: '/tmp' is a folder, expected a YAML file"]


# --- the wrong kind of file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("load", "path", "hint"),
    [
        (
            load_scenario,
            SWEEP,
            "this is an experiment file, not a scenario file; run it with `python run.py sweep ",
        ),
        (
            load_experiment,
            DEFAULT,
            "this is a scenario file, not an experiment file; play it "
            "with `python run.py simulate --scenario ",
        ),
    ],
    ids=["experiment_as_scenario", "scenario_as_experiment"],
)
def test_the_wrong_kind_of_file_gets_one_line(load, path, hint):
    with pytest.raises(ScenarioError) as caught:
        load(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(hint)


def test_extends_naming_an_experiment_is_refused(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {SWEEP}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="is an experiment file; expected a scenario file"):
        load_scenario(child)


def test_cli_wrong_kind_hints(tmp_path):
    simulate, _ = run_py("simulate", "--scenario", str(SWEEP), "--rounds", "1")
    sweep, _ = run_py("sweep", str(DEFAULT), "--workers", "1")
    for done, hint in [(simulate, "not a scenario file"), (sweep, "not an experiment file")]:
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert hint in done.stderr


# --- user text kept off the terminal --------------------------------------------------------------


def test_control_characters_and_huge_text_never_reach_the_terminal(tmp_path):
    sneaky = tmp_path / "bad\x1b[2J\x1b]0;owned\x07name.yaml"
    sneaky.write_text("name: x\nclock: {start_date: 2026-01-01}\n", encoding="utf-8")
    huge_key = tmp_path / "huge.yaml"
    huge_key.write_text(
        yaml.safe_dump({**read_yaml(DEFAULT), "k" * 3_000_000: 1}), encoding="utf-8"
    )
    done, seconds = run_py("validate", str(sneaky), str(huge_key))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stderr
    assert "bad\\x1b[2J\\x1b]0;owned\\x07name.yaml" in done.stderr
    assert len(done.stderr) < 20_000, len(done.stderr)
    assert "more characters" in done.stderr and "unknown field" in done.stderr
    assert seconds < CLI_LIMIT_S


def test_scenario_error_escapes_and_caps_whatever_it_is_given():
    error = ScenarioError("f\x1b.yaml", ["x" * 5_000_000, "field: got '\x1b[31m'"])
    text = str(error)
    assert "\x1b" not in text and "f\\x1b.yaml" in text
    assert len(text) < 3_000
    assert error.problems[1] == "field: got '\\x1b[31m'"


def test_thousands_of_problems_print_a_screenful_and_a_count(tmp_path, capsys):
    lines = ["extends: " + str(DEFAULT), "injects:"]
    for round_ in range(1, 501):  # 500 pairs of clashing injects: 500 problems
        for value in (0.5, 0.6):
            lines.append(f"  - {{round: {round_}, kind: lebanon_intensity, value: {value}}}")
    path = tmp_path / "clashes.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert len(caught.value.problems) == 500  # every problem is kept for callers
    printed = str(caught.value).splitlines()
    assert len(printed) == 51 and printed[-1].endswith("... and 450 more problems not shown")
    assert all(line.startswith(str(path)) for line in printed)


# --- a folder: every *.yaml entry is checked, whatever it is -------------------------------------


def test_validate_folder_reports_every_yaml_entry_whatever_it_is(tmp_path, capsys):
    """Broken links, pipes, link loops and links to folders named *.yaml are each reported as
    invalid with their reason; a good file beside them and one in a sub-folder are checked."""
    (tmp_path / "good.yaml").write_text(f"extends: {DEFAULT}\nname: ok\n", encoding="utf-8")
    (tmp_path / "sub.yaml").mkdir()  # a real folder, even named *.yaml, is descended into
    (tmp_path / "sub.yaml" / "inner.yml").write_text(f"extends: {DEFAULT}\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not yaml\n", encoding="utf-8")  # not listed
    bad = {
        "broken.yaml": "a broken symbolic link (to /no/such/file, which does not exist)",
        "fifo.yml": "is a named pipe (FIFO), expected a YAML file",
        "loop.yaml": "cannot read: Too many levels of symbolic links",
        "folder_link.yaml": "is a folder, expected a YAML file",
    }
    (tmp_path / "broken.yaml").symlink_to("/no/such/file")
    os.mkfifo(tmp_path / "fifo.yml")
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    (tmp_path / "folder_link.yaml").symlink_to(tmp_path / "sub.yaml")
    from wargame.cli.main import main

    assert main(["validate", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert "2 of 6 files valid" in out, out
    assert f"{tmp_path / 'good.yaml'}: ok" in out
    assert f"{tmp_path / 'sub.yaml' / 'inner.yml'}: ok" in out
    for name, reason in bad.items():
        assert f"{tmp_path / name}: {reason}" in err, (name, err)
    assert "notes.txt" not in out + err


# --- paths that can't be paths -------------------------------------------------------------------


def test_a_nul_in_a_path_a_file_gives_is_refused_naming_the_field(tmp_path):
    """`extends:`, `base_scenario:` and `output:` holding a NUL: the field is named, exit 2."""
    nul = f"{DEFAULT}\0"
    child = tmp_path / "child.yaml"
    child.write_text(yaml.safe_dump({"extends": nul}), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert caught.value.problems == [
        f"extends: {nul!r} holds a NUL character (\\x00), which no file path can contain"
    ]
    for field in ("base_scenario", "output"):
        experiment = read_yaml(SWEEP) | {
            "base_scenario": str(DEFAULT),
            "output": str(tmp_path / "o"),
        }
        experiment[field] = f"{experiment[field]}\0x"
        path = tmp_path / f"{field}.yaml"
        path.write_text(yaml.safe_dump(experiment), encoding="utf-8")
        with pytest.raises(ScenarioError) as caught:
            load_experiment(path)
        (problem,) = caught.value.problems
        assert problem.startswith(f"{field}: ") and "NUL character" in problem, problem


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["simulate", "--scenario", "a\0b.yaml", "--rounds", "1"], "--scenario: "),
        (["simulate", "--rounds", "1", "--out", "{tmp}/o\0ut"], "--out: "),
        (["validate", "a\0b.yaml"], "a\\x00b.yaml: cannot read"),
        (["validate", "{tmp}\0"], "\\x00: cannot read"),
        (["sweep", "x\0.yaml"], "x\\x00.yaml: cannot read"),
        (["analyse", "{tmp}/r\0"], "results folder: "),
        (["analyse", "{tmp}", "--report", "r\0"], "--report: "),
    ],
    ids=[
        "simulate-scenario",
        "simulate-out",
        "validate-file",
        "validate-folder",
        "sweep",
        "analyse-folder",
        "analyse-report",
    ],
)
def test_a_nul_in_a_command_line_path_exits_2_naming_it(argv, named, tmp_path, capsys):
    """A NUL can't come through exec(), but `main(argv)` is an API: no ValueError traceback."""
    from wargame.cli.main import main

    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert named in err and "NUL character" in err, err
    assert list(tmp_path.iterdir()) == []
