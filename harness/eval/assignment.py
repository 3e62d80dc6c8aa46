"""The linear sum assignment of a small weight grid, as ``scipy.optimize.linear_sum_assignment``
computes it, without importing scipy.optimize (0.3 s, paid by the first run that pairs a
tie or a large grid).

The algorithm is scipy's: the shortest augmenting path method for the rectangular problem
(DF Crouse, "On implementing 2D rectangular assignment algorithms", IEEE Transactions on
Aerospace and Electronic Systems 52(4), 2016, pp. 1685-1686), step for step, including the
order it visits columns in and how it breaks ties, so that it chooses the assignment scipy
chooses among equally good ones. ``tests/test_assignment.py`` compares the two on random
grids full of ties.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def max_weight_assignment(weights: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """The (row, column) pairs of a one-to-one assignment of the grid's rows to its columns
    with the largest total weight, sorted by row: ``linear_sum_assignment(weights,
    maximize=True)``'s pairs. Every weight must be finite."""
    rows, cols = len(weights), len(weights[0]) if weights else 0
    if rows == 0 or cols == 0:
        return []
    transposed = cols < rows  # the method needs at least as many columns as rows
    if transposed:
        cost = [[-weights[row][col] for row in range(rows)] for col in range(cols)]
        rows, cols = cols, rows
    else:
        cost = [[-weight for weight in row] for row in weights]
    col_for_row = _solve(cost, rows, cols)
    if transposed:
        return sorted((col, row) for row, col in enumerate(col_for_row))
    return list(enumerate(col_for_row))


def _solve(cost: list[list[float]], rows: int, cols: int) -> list[int]:
    """The column of each row in a minimum-cost assignment (``rows <= cols``)."""
    u, v = [0.0] * rows, [0.0] * cols
    path, col_for_row, row_for_col = [-1] * cols, [-1] * rows, [-1] * cols
    for current in range(rows):
        sink, low, path_costs, seen_rows, seen_cols = _augmenting_path(
            cost, u, v, path, row_for_col, current
        )
        # Update the dual variables.
        u[current] += low
        for row in range(rows):
            if seen_rows[row] and row != current:
                u[row] += low - path_costs[col_for_row[row]]
        for col in range(cols):
            if seen_cols[col]:
                v[col] -= low - path_costs[col]
        # Augment the previous solution along the path.
        col = sink
        while True:
            row = path[col]
            row_for_col[col] = row
            col_for_row[row], col = col, col_for_row[row]
            if row == current:
                break
    return col_for_row


def _augmenting_path(
    cost: list[list[float]],
    u: list[float],
    v: list[float],
    path: list[int],
    row_for_col: list[int],
    row: int,
) -> tuple[int, float, list[float], list[bool], list[bool]]:
    """The shortest augmenting path from ``row``: its sink column, its length, the path
    costs of every column, and the rows and columns it reached (``path`` is updated)."""
    cols = len(v)
    low = 0.0
    # Columns left to visit, in reverse, so that a constant grid gives the identity (as scipy).
    remaining = list(range(cols - 1, -1, -1))
    path_costs = [math.inf] * cols
    seen_rows, seen_cols = [False] * len(u), [False] * cols
    sink = -1
    while sink == -1:
        index, lowest = -1, math.inf
        seen_rows[row] = True
        for position, col in enumerate(remaining):
            reduced = low + cost[row][col] - u[row] - v[col]
            if reduced < path_costs[col]:
                path[col] = row
                path_costs[col] = reduced
            # Of equally short columns, prefer one that ends the path (a free column).
            if path_costs[col] < lowest or (path_costs[col] == lowest and row_for_col[col] == -1):
                lowest, index = path_costs[col], position
        low = lowest
        col = remaining[index]
        if row_for_col[col] == -1:
            sink = col
        else:
            row = row_for_col[col]
        seen_cols[col] = True
        remaining[index] = remaining[-1]
        remaining.pop()
    return sink, low, path_costs, seen_rows, seen_cols
