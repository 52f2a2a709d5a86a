"""No number that shapes a decision hides in the engine's code: each is scenario data
(`behaviour:` and the other sections), or a named, documented constant of the module.

The scan reads every module of wargame/engine/ as Python syntax and refuses any numeric literal
except:

- 0 and 1 (and so -1): empty counts, first and last elements, identities (x * 1.0, x + 0.0),
  the bounds of a probability or a share, and "one event" as the unit of a count;
- a literal inside a module-level assignment to an UPPER_CASE name (a tuple of such names
  included) that carries a comment on its lines or on the line above: a structural constant
  with its reason (units, array sizes, cache limits, the haversine's halves);
- the value of an enum member (an identifier, not a quantity);
- the digits of `round(x, n)` (the precision of a record or a sentence, not of a decision);
- the exponent of `x ** 2` (a square).

2 and 0.5 are not allowed bare: the engine had both as behaviour (a campaign's twice the
weapons, relief doubling the reopening chance, a restraint pressure of 0.5), so a bare one is
more likely behaviour than structure. Name it, or move it to the scenario.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "wargame" / "engine"
ALLOWED_VALUES = (0, 1)


def _upper_case(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return target.id.lstrip("_").isupper()
    if isinstance(target, ast.Tuple):
        return all(_upper_case(element) for element in target.elts)
    return False


def _documented(stmt: ast.stmt, comment_lines: set[int], lines: list[str]) -> bool:
    """A comment on one of the statement's lines, or a comment line right above it."""
    if any(line in comment_lines for line in range(stmt.lineno, stmt.end_lineno + 1)):
        return True
    above = stmt.lineno - 1
    return above >= 1 and lines[above - 1].lstrip().startswith("#")


def _named_constants(tree: ast.Module, source: str) -> set[int]:
    """Ids of the nodes inside documented module-level UPPER_CASE assignments."""
    comment_lines = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    lines = source.splitlines()
    allowed = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets = [stmt.target]
        else:
            continue
        if all(_upper_case(t) for t in targets) and _documented(stmt, comment_lines, lines):
            allowed |= {id(node) for node in ast.walk(stmt.value)}
    return allowed


def _is_round_digits_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "round"
        and len(node.args) == 2
    )


def _is_square(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Pow)
        and isinstance(node.right, ast.Constant)
        and node.right.value == 2
    )


def _structural(tree: ast.Module) -> set[int]:
    """Ids of literals that are structure wherever they stand: enum values, round() digits,
    squares."""
    allowed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            getattr(base, "id", getattr(base, "attr", "")).endswith("Enum") for base in node.bases
        ):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign):
                    allowed |= {id(inner) for inner in ast.walk(stmt.value)}
        elif _is_round_digits_call(node):
            allowed.add(id(node.args[1]))
        elif _is_square(node):
            allowed.add(id(node.right))
    return allowed


def literal_problems(source: str, name: str = "<source>") -> list[str]:
    """'name:line: value: code' for every numeric literal the rules above do not allow."""
    tree = ast.parse(source)
    allowed = _named_constants(tree, source) | _structural(tree)
    lines = source.splitlines()
    problems = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and type(node.value) in (int, float, complex)
            and node.value not in ALLOWED_VALUES
            and id(node) not in allowed
        ):
            code = lines[node.lineno - 1].strip()
            problems.append((node.lineno, f"{name}:{node.lineno}: {node.value!r}: {code}"))
    return [text for _, text in sorted(problems)]


ENGINE_MODULES = sorted(ENGINE.rglob("*.py"))


def test_the_scan_reads_every_engine_module():
    names = {path.relative_to(ENGINE).as_posix() for path in ENGINE_MODULES}
    for expected in (
        "model.py",
        "agents.py",
        "adjudication/irgc.py",
        "state.py",
        "rules/diplomacy.py",
    ):
        assert expected in names


def test_no_number_that_shapes_a_decision_is_a_bare_literal_in_the_engine():
    problems = [
        line
        for path in ENGINE_MODULES
        for line in literal_problems(
            path.read_text(encoding="utf-8"), str(path.relative_to(ENGINE))
        )
    ]
    assert not problems, (
        "numeric literals in wargame/engine/ outside a named, documented constant: move each "
        "behavioural one to the scenario (behaviour: ...), or name a structural one at module "
        "level with a comment saying why:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        # behaviour written inline: refused
        ("def f(x):\n    return x * 0.7\n", [0.7]),
        ("def f(x):\n    return 2 * x\n", [2]),
        ("def f(x, scale=0.5):\n    return x * scale\n", [0.5]),
        ("def f(x):\n    return min(x, 0.5)\n", [0.5]),
        ("def f(x):\n    return {'escort': 0.2}[x]\n", [0.2]),
        ("def f(x):\n    return x ** 3\n", [3]),
        # a constant, but not a documented module-level UPPER_CASE one: refused
        ("DECAY = 0.7\n", [0.7]),
        ("decay = 0.7  # lower case\n", [0.7]),
        ("def f():\n    DECAY = 0.7  # inside a function\n    return DECAY\n", [0.7]),
        ("# one comment\nA = 0.7\nB = 0.8\n", [0.8]),
        # allowed
        ("DECAY = 0.7  # why it is 0.7\n", []),
        ("# why it is 0.7\nDECAY = 0.7\n", []),
        ("# phases\nA, B, C = 1, 2, 3\n", []),
        ("# by rung\nTABLE = {2: 0.5, 3: 0.4}\n", []),
        ("_CACHE_LIMIT = 64  # private constants too\n", []),
        ("class State(IntEnum):\n    A = 2\n    B = 3\n", []),
        ("def f(x):\n    return round(x, 6)\n", []),
        ("def f(x):\n    return x ** 2\n", []),
        ("def f(x):\n    return -1 if x else 0.0 + 1.0 * x\n", []),
        ("X = 'text 0.7'  # strings are not numbers\n", []),
    ],
)
def test_the_scan_flags_inline_numbers_and_lets_named_documented_ones_pass(source, flagged):
    problems = literal_problems(source)
    assert [float(line.split(": ")[1]) for line in problems] == flagged, problems
