"""The numbers README.md and docs/ quote agree with the results files they come from, and with themselves.

Figures from training move with a CPU's rounding; ``make docs-check`` reruns them (benchmarks/docs_check.py).
What is checked here is cheap: each quoted figure against the committed results file that backs it, and the
benchmark tables against their own columns (a bold median of per-round ratios is the median of the rounds
listed beside it; a ratio of medians is the quotient of the rates shown).
"""

import importlib.util
import re
import statistics
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def _docs_check():
    """benchmarks/docs_check.py, where each quoted figure is mapped to its results file (loaded by path: the
    benchmarks are not an installed package)."""
    spec = importlib.util.spec_from_file_location("docs_check", ROOT / "benchmarks" / "docs_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


docs_check = _docs_check()


def _table_rows(markdown: str, header_contains: str) -> list[list[str]]:
    """The cells of each row of the first table whose header line holds ``header_contains``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|") and header_contains in line)
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True)))
    return rows


def _number(cell: str) -> float:
    return float(re.search(r"-?\d[\d,]*\.?\d*", cell).group().replace(",", ""))


BENCHMARKS = (ROOT / "docs" / "benchmarks.md").read_text()


def test_each_bold_throughput_ratio_is_the_median_of_the_rounds_beside_it():
    rows = _table_rows(BENCHMARKS, "median of the per-round ratios** (each round)")
    assert len(rows) == 4
    for row in rows:
        cell = next(value for name, value in row.items() if "per-round" in name)
        bold = float(re.search(r"\*\*([\d.]+)\*\*", cell).group(1))
        rounds = [float(x) for x in re.search(r"\(([^)]*)\)", cell).group(1).split(",")]
        assert bold == pytest.approx(statistics.median(rounds), abs=0.005), row["workload"]


@pytest.mark.parametrize(
    ("header", "numerator", "denominator"),
    [
        ("ganforge it/s (median of rounds)", "ganforge it/s (median of rounds)", "hand it/s (median of rounds)"),
        (
            "default it/s (median of rounds)",
            "with the switch it/s (median of rounds)",
            "default it/s (median of rounds)",
        ),
    ],
)
def test_each_ratio_of_medians_is_the_quotient_of_the_rates_shown(header, numerator, denominator):
    rows = _table_rows(BENCHMARKS, header)
    for row in rows:
        quotient = _number(row[numerator]) / _number(row[denominator])
        assert _number(row["ratio of the medians"]) == pytest.approx(quotient, abs=0.006), row


def test_the_sweep_table_divides_its_own_columns():
    for row in _table_rows(BENCHMARKS, "end to end: sweep / sequential"):
        sweep, sequential = (_number(part) for part in row["end to end: sweep / sequential (one round)"].split("/"))
        assert _number(row["speed-up"]) == pytest.approx(sequential / sweep, abs=0.006), row
        population, one_by_one = (_number(part) for part in next(
            value for name, value in row.items() if name.startswith("steps: population")
        ).split("/"))  # fmt: skip
        assert _number(row["ratio of the medians"]) == pytest.approx(population / one_by_one, abs=0.006), row


@pytest.mark.parametrize("quote", docs_check.QUOTES, ids=lambda quote: quote.name)
def test_each_quoted_figure_matches_its_results_file(quote):
    assert docs_check.quoted(quote) is None


def test_a_rerun_drifts_when_its_mean_leaves_the_seeds_range_widened_by_the_tolerance():
    quote = docs_check.Quote("x", "results.json", "doc.md", str, tolerance={"fid": 5.0})
    committed = {"metrics": {"fid": {"mean": 100.0, "min": 90.0, "max": 110.0}}}
    assert quote.drifts(committed, {"metrics": {"fid": {"mean": 114.0}}}) == []
    assert "outside 85 to 115" in quote.drifts(committed, {"metrics": {"fid": {"mean": 116.0}}})[0]
