"""The reports' arithmetic and files agree with numpy and pandas (sums within rounding)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.report.numbers import histogram, mean, quantile, total
from harness.report.write import write_csv, write_parquet

COLUMNS = {
    "ints": [1, 2, 3],
    "ints_missing": [1, None, 3],
    "floats": [0.1, 1e-05, 2.0],
    "bools": [True, False, True],
    "bools_missing": [True, None, False],
    "text": ['a, "quoted" é', None, "line\nbreak"],
    "empty": [None, None, None],
}


def samples(seed: int) -> list[list[float]]:
    chooser = random.Random(seed)
    drawn = []
    for _ in range(300):
        size = chooser.choice([1, 2, 7, 8, 9, 127, 128, 129, 300, chooser.randint(1, 700)])
        scale = chooser.choice([1e-3, 1.0, 100.0])
        values = [round(chooser.random() * scale, chooser.choice([2, 4, 7])) for _ in range(size)]
        drawn.append(values if chooser.random() > 0.1 else values[:1] * size)
    return drawn


@pytest.mark.parametrize("seed", [1, 2])
def test_sums_means_quantiles_and_histograms_agree_with_numpy(seed: int) -> None:
    for values in samples(seed):
        series = pd.Series(values)
        assert total(values) == pytest.approx(float(series.sum()), rel=1e-12, abs=1e-15)
        assert mean(values) == pytest.approx(float(series.mean()), rel=1e-12, abs=1e-15)
        for q in (0.5, 0.95):
            assert quantile(values, q) == float(series.quantile(q))
        counts, edges = np.histogram(values, bins=12)
        assert histogram(values, 12) == (counts.tolist(), edges.tolist())


def test_csv_is_what_pandas_writes(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    write_csv(ours, COLUMNS)
    pd.DataFrame(COLUMNS).to_csv(theirs, index=False)
    assert ours.read_text() == theirs.read_text()


def test_parquet_holds_what_pandas_writes(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    ours, theirs = tmp_path / "ours.parquet", tmp_path / "theirs.parquet"
    write_parquet(ours, COLUMNS)
    pd.DataFrame(COLUMNS).to_parquet(theirs, index=False)
    mine, pandas_own = pq.read_table(ours), pq.read_table(theirs).replace_schema_metadata(None)
    assert mine.equals(pandas_own)
