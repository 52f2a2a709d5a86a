"""The scenarios' figures cite their public sources in docs/sources.md, a file users have.

A scenario comment cites a row as `docs/sources.md#S-<anchor>`. These tests hold that every
anchor cited under configs/ is defined in docs/sources.md (once), that every row there names its
source (or says none is given), and that no scenario comment still cites the design notes'
files users don't have: facts.md and the seed article.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
CONFIGS = ROOT / "configs"
SCENARIOS = sorted((CONFIGS / "scenarios").glob("*.yaml"))
CONFIG_FILES = sorted(CONFIGS.rglob("*.yaml"))

CITATION = re.compile(r"docs/sources\.md#([A-Za-z0-9_-]*)")
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
# The design notes' files: facts.md and "the seed" (the article as the notes call it).
PRIVATE_CITATION = re.compile(r"facts\.md|\bseed\b", re.IGNORECASE)


def yaml_comments(text: str) -> list[tuple[int, str]]:
    """(line number, text) of each comment in a YAML document.

    A comment is a `#` at the start of a line or after whitespace, outside every scalar; the
    scalars' spans come from PyYAML's scanner, so a `#` inside a quoted string or a block scalar
    is not taken for one.
    """
    scalars = [
        (token.start_mark.index, token.end_mark.index)
        for token in yaml.scan(text, Loader=yaml.SafeLoader)
        if isinstance(token, yaml.ScalarToken)
    ]
    comments = []
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        for column, char in enumerate(line):
            at = offset + column
            if char != "#" or (column and not line[column - 1].isspace()):
                continue
            if any(start <= at < end for start, end in scalars):
                continue
            comments.append((number, line[column:].rstrip("\r\n")))
            break
        offset += len(line)
    return comments


def defined_anchors() -> list[str]:
    return ANCHOR.findall(SOURCES.read_text(encoding="utf-8"))


def test_comments_are_found_outside_scalars_only():
    text = (
        "a: 1  # one\n"
        '# whole line\nb: "not # a comment"  # two\n'
        "c: >-\n  text # inside a block scalar\nd: x#y\n"
    )
    assert yaml_comments(text) == [(1, "# one"), (2, "# whole line"), (3, "# two")]


def test_the_shipped_scenarios_cite_sources():
    """The scan below reads real citations: a scenario without one would make it vacuous."""
    cited = {
        anchor
        for path in SCENARIOS
        for _, comment in yaml_comments(path.read_text(encoding="utf-8"))
        for anchor in CITATION.findall(comment)
    }
    assert len(cited) >= 20, cited


def test_every_anchor_is_defined_once():
    anchors = defined_anchors()
    assert anchors, "docs/sources.md defines no anchor"
    duplicates = sorted({a for a in anchors if anchors.count(a) > 1})
    assert not duplicates, f"anchors defined more than once in docs/sources.md: {duplicates}"


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_cited_anchor_exists(path):
    defined = set(defined_anchors())
    missing = [
        f"{path.relative_to(ROOT)}:{number}: docs/sources.md#{anchor}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for anchor in CITATION.findall(line)
        if anchor not in defined
    ]
    assert not missing, "cited anchors missing from docs/sources.md:\n" + "\n".join(missing)


def test_links_inside_sources_resolve():
    text = SOURCES.read_text(encoding="utf-8")
    defined = set(defined_anchors())
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in text.splitlines()
        if line.startswith("## ")
    }
    broken = sorted(set(re.findall(r"\]\(#([^)]+)\)", text)) - defined - headings)
    assert not broken, f"links to no anchor or heading in docs/sources.md: {broken}"


def test_every_row_names_its_source():
    """A row's last cell is its source, or says the design notes give none: never blank."""
    rows = [
        line for line in SOURCES.read_text(encoding="utf-8").splitlines() if ANCHOR.search(line)
    ]
    blank = [
        ANCHOR.search(row).group(1)
        for row in rows
        if not row.rstrip().rstrip("|").split("|")[-1].strip()
    ]
    assert not blank, f"rows without a source: {blank}"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_no_scenario_comment_cites_the_design_notes(path):
    stale = [
        f"{path.name}:{number}: {comment}"
        for number, comment in yaml_comments(path.read_text(encoding="utf-8"))
        if PRIVATE_CITATION.search(comment)
    ]
    assert not stale, "cite docs/sources.md#<anchor> instead of facts.md / the seed:\n" + "\n".join(
        stale
    )
