"""docs/ASVS.md, coffer held against OWASP ASVS 4.0.3 Level 2 (chapters V2, V3, V4, V6, V7, V8, V9).

- Every one of the 127 items appears exactly once, in the order of the reading it follows
  (`EXPECTED_IDS`, copied from the project's shared `asvs-l2.md` so that this test needs nothing
  outside the checkout).
- Each row's status is `met`, `partly`, `not met` or `not applicable`, and a `not applicable`
  row gives its reason.
- Each `met` row names at least one test, and every test any row names exists:
  `tests/…/FILE.py::name` (or `Class::name`) is a file with `def name(` in it,
  `tests/…/FILE.c::name` a file with `name(` in it.
- The counts table at the end says what the rows say, chapter by chapter and in total.

Every failure names the item (or the chapter) at fault. The checks read the document and the
test files only: nothing is run.
"""

import re
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "ASVS.md"

EXPECTED_IDS = (
    "2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5", "2.1.6", "2.1.7", "2.1.8", "2.1.9", "2.1.10",
    "2.1.11", "2.1.12", "2.2.1", "2.2.2", "2.2.3", "2.3.1", "2.3.2", "2.3.3", "2.4.1", "2.4.2",
    "2.4.3", "2.4.4", "2.4.5", "2.5.1", "2.5.2", "2.5.3", "2.5.4", "2.5.5", "2.5.6", "2.5.7",
    "2.6.1", "2.6.2", "2.6.3", "2.7.1", "2.7.2", "2.7.3", "2.7.4", "2.7.5", "2.7.6", "2.8.1",
    "2.8.2", "2.8.3", "2.8.4", "2.8.5", "2.8.6", "2.8.7", "2.9.1", "2.9.2", "2.9.3", "2.10.1",
    "2.10.2", "2.10.3", "2.10.4", "3.1.1", "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.3.1", "3.3.2",
    "3.3.3", "3.3.4", "3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.4.5", "3.5.1", "3.5.2", "3.5.3",
    "3.7.1", "4.1.1", "4.1.2", "4.1.3", "4.1.5", "4.2.1", "4.2.2", "4.3.1", "4.3.2", "4.3.3",
    "6.1.1", "6.1.2", "6.1.3", "6.2.1", "6.2.2", "6.2.3", "6.2.4", "6.2.5", "6.2.6", "6.3.1",
    "6.3.2", "6.4.1", "6.4.2", "7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.2.1", "7.2.2", "7.3.1",
    "7.3.3", "7.3.4", "7.4.1", "7.4.2", "7.4.3", "8.1.1", "8.1.2", "8.1.3", "8.1.4", "8.2.1",
    "8.2.2", "8.2.3", "8.3.1", "8.3.2", "8.3.3", "8.3.4", "8.3.5", "8.3.6", "8.3.7", "8.3.8",
    "9.1.1", "9.1.2", "9.1.3", "9.2.1", "9.2.2", "9.2.3", "9.2.4",
)

STATUSES = ("met", "partly", "not met", "not applicable")
CHAPTERS = ("V2", "V3", "V4", "V6", "V7", "V8", "V9")
COUNT_COLUMNS = ("items", "applicable", "met", "partly", "not met")

ROW = re.compile(r"^\|\s*V(\d+\.\d+\.\d+)\s*\|(.*)\|\s*$")
TEST_REF = re.compile(r"`(tests/[^`\s]+?\.(?:py|c|mjs|js|sh))::([^`\s]+)`")
COUNT_ROW = re.compile(r"^\|\s*(?:\*\*)?(V\d+|total)\b[^|]*\|(.*)\|\s*$")


def rows(text):
    """{"id", "requirement", "status", "how", "tests": [(path, name)], "line"} of each item row,
    in document order."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        m = ROW.match(line)
        if not m:
            continue
        cells = [c.strip() for c in m.group(2).split("|")]
        cells += [""] * (4 - len(cells))
        out.append({"id": m.group(1), "cells": len(cells), "requirement": cells[0],
                    "status": cells[1], "how": cells[2], "tests": TEST_REF.findall(cells[3]),
                    "test_cell": cells[3], "line": n})
    return out


def counts_table(text):
    """{"V2": [items, applicable, met, partly, not met], …, "total": […]} from the table under
    the `## Counts` heading."""
    part = text.split("\n## Counts", 1)
    assert len(part) == 2, "docs/ASVS.md has no '## Counts' section"
    table = {}
    for line in part[1].split("\n## ", 1)[0].splitlines():
        m = COUNT_ROW.match(line)
        if m:
            cells = [c.strip().strip("*") for c in m.group(2).split("|")]
            assert all(c.isdigit() for c in cells) and len(cells) == len(COUNT_COLUMNS), \
                f"counts row {m.group(1)}: expected {len(COUNT_COLUMNS)} numbers, got {cells}"
            table[m.group(1)] = [int(c) for c in cells]
    return table


def computed_counts(items):
    """The counts table the rows imply."""
    table = {c: [0] * len(COUNT_COLUMNS) for c in CHAPTERS + ("total",)}
    for r in items:
        chapter = "V" + r["id"].split(".")[0]
        for key in (chapter, "total"):
            if key not in table:
                continue
            t = table[key]
            t[0] += 1
            if r["status"] != "not applicable":
                t[1] += 1
            if r["status"] in COUNT_COLUMNS[2:]:
                t[2 + COUNT_COLUMNS[2:].index(r["status"])] += 1
    return table


def missing_tests(items, repo=REPO):
    """One line for each named test that does not exist, and each `met` row that names none."""
    problems = []
    for r in items:
        if r["status"] == "met" and not r["tests"]:
            problems.append(f"V{r['id']}: met, but names no test ({r['test_cell']!r})")
        for path, name in r["tests"]:
            f = repo / path
            if ".." in Path(path).parts or not f.is_file():
                problems.append(f"V{r['id']}: {path} does not exist")
                continue
            text = f.read_text(errors="replace")
            if path.endswith(".py"):
                func = name.split("::")[-1]
                ok = re.search(rf"^\s*def {re.escape(func)}\(", text, re.M) is not None
                want = f"def {func}("
            elif path.endswith(".c"):
                ok = re.search(rf"\b{re.escape(name)}\(", text) is not None
                want = f"{name}("
            else:
                ok, want = False, "a .py or .c test file"
            if not ok:
                problems.append(f"V{r['id']}: {path}::{name}: no {want} in {path}")
    return problems


def doc_rows():
    assert DOC.is_file(), f"{DOC} is missing"
    return rows(DOC.read_text())


def test_every_item_appears_once_in_order():
    items = doc_rows()
    seen = Counter(r["id"] for r in items)
    expected = set(EXPECTED_IDS)
    assert len(EXPECTED_IDS) == 127 and len(expected) == 127
    problems = [f"V{i}: missing" for i in EXPECTED_IDS if seen[i] == 0]
    problems += [f"V{i}: appears {n} times (lines "
                 f"{', '.join(str(r['line']) for r in items if r['id'] == i)})"
                 for i, n in seen.items() if n > 1]
    problems += [f"V{i}: not an item of the reading (line {r['line']})"
                 for r in items for i in [r["id"]] if i not in expected]
    assert not problems, "\n".join(problems)
    order = [r["id"] for r in items]
    for i, (got, want) in enumerate(zip(order, EXPECTED_IDS)):
        assert got == want, f"V{got} (line {items[i]['line']}) stands where V{want} belongs"


def test_every_row_has_an_allowed_status_and_its_cells():
    problems = []
    for r in doc_rows():
        if r["cells"] != 4:
            problems.append(f"V{r['id']}: {r['cells'] + 1} cells, not 5 "
                            "(item | requirement | status | how | test)")
        if r["status"] not in STATUSES:
            problems.append(f"V{r['id']}: status {r['status']!r} is not one of {STATUSES}")
        if not r["requirement"]:
            problems.append(f"V{r['id']}: no requirement")
        if r["how"] in ("", "-", "–"):
            problems.append(f"V{r['id']}: no note on how (for not applicable: why)")
    assert not problems, "\n".join(problems)


def test_every_met_item_names_a_test_and_every_named_test_exists():
    problems = missing_tests(doc_rows())
    assert not problems, "\n".join(problems)


def test_the_counts_table_matches_the_rows():
    text = DOC.read_text()
    stated = counts_table(text)
    computed = computed_counts(rows(text))
    problems = []
    for key in CHAPTERS + ("total",):
        if key not in stated:
            problems.append(f"{key}: no row in the counts table")
        elif stated[key] != computed[key]:
            diff = ", ".join(f"{col} {s} but the rows say {c}"
                             for col, s, c in zip(COUNT_COLUMNS, stated[key], computed[key])
                             if s != c)
            problems.append(f"{key}: {diff}")
    problems += [f"{key}: not a chapter of the reading" for key in stated
                 if key not in CHAPTERS + ("total",)]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_broken_document(tmp_path):
    """The checks above would fail on a document that names a test that does not exist, marks
    an item met without a test, or miscounts: run on an altered copy."""
    text = DOC.read_text()
    named = next(r for r in rows(text) if r["status"] == "met" and r["tests"])
    path, name = named["tests"][0]
    lines = text.splitlines()
    i = named["line"] - 1

    def with_row(row):
        return "\n".join(lines[:i] + [row] + lines[i + 1:])

    row = lines[i].replace(f"`{path}::{name}`", f"`{path}::{name}_that_does_not_exist`")
    assert any(p.startswith(f"V{named['id']}:") and "does_not_exist" in p
               for p in missing_tests(rows(with_row(row))))
    row = lines[i].replace(f"`{path}::{name}`", "`tests/e2e/no_such_file.py::test_x`")
    assert any(p.startswith(f"V{named['id']}:") and "no_such_file.py does not exist" in p
               for p in missing_tests(rows(with_row(row))))
    row = re.sub(r"\|[^|]*\|\s*$", "| – |", lines[i])
    assert any(p.startswith(f"V{named['id']}: met, but names no test")
               for p in missing_tests(rows(with_row(row))))
    copy = tmp_path / "ASVS.md"
    copy.write_text(with_row(lines[i].replace("| met |", "| partly |")))
    assert computed_counts(rows(copy.read_text())) != counts_table(copy.read_text())
