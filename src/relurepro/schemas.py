"""Declared schemas of the CSVs that pass between jobs, checked with pandera: column names, order and types (no
extra columns), allowed values, unique ids, cross-column rules and the row count the job promised. A violation is
a ValueError naming the file and the failing rows (as file lines: the header is line 1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa


def check(df: pd.DataFrame, schema: pa.DataFrameSchema, path: str | Path, *, rows: int | None = None,
          first_line: int = 2) -> pd.DataFrame:
    """`df` (read from `path`) validated against `schema`; with `rows`, exactly that many rows."""
    if list(df.columns) != list(schema.columns):  # before the row checks, which would only fail on it
        raise ValueError(f"{path}: expected columns {list(schema.columns)}, found {list(df.columns)}")
    if df.empty:
        raise ValueError(f"{path}: no rows")
    if rows is not None and len(df) != rows:
        raise ValueError(f"{path}: {len(df)} rows, the job wrote {rows} (duplicated or missing runs?)")
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        typed = cases["check"].astype(str).str.match(r"(coerce_)?dtype\(")
        if typed.any():  # a mistyped column makes the other checks on it meaningless: report the types only
            cases = cases[typed]
        rows = set(cases["index"].dropna())
        for column in cases.loc[cases["index"].isna() & typed, "column"].dropna().unique():
            rows |= _mistyped(df[column], schema.columns[column].dtype)  # a dtype failure names no row
        lines = sorted({int(i) + first_line for i in rows})
        # A table-wide check fails once per column of the failing rows: name it once, without a column.
        wide = cases["schema_context"] == "DataFrameSchema"
        cases = cases.assign(column=cases["column"].where(~wide | typed.reindex(cases.index, fill_value=False)))
        what = "; ".join(str(c["check"]) + (f" on {c['column']}" if isinstance(c["column"], str) else "")
                         for _, c in cases.drop_duplicates(["check", "column"]).head(5).iterrows())
        where = f" (file lines {', '.join(map(str, lines[:10]))}{' ...' if len(lines) > 10 else ''})" if lines else ""
        raise ValueError(f"{path}: does not match its schema{where}: {what}") from None


def _mistyped(values: pd.Series, dtype) -> set:
    """Index of the values in a column read with the wrong type that do not fit `dtype` (bool, int or float)."""
    kind = str(dtype)
    if kind == "bool":
        return set(values.index[~values.isin([True, False, "True", "False"])])
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if kind.startswith("int"):
        bad |= numbers.notna() & (numbers % 1 != 0) | values.isna()
    return set(values.index[bad])


def read(path: str | Path, schema: pa.DataFrameSchema, *, rows: int | None = None) -> pd.DataFrame:
    """Read a CSV and validate it (see `check`); an empty or header-only file is an error naming it. Returns the
    table as read, not as coerced: what aggregators write from it keeps the run files' values byte for byte."""
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    check(df, schema, path, rows=rows)
    return df


def read_checked(path: str | Path, validate, **read_csv) -> pd.DataFrame:
    """Read a CSV that a table's own validator checks (`validate(df, path)`, a function around `check`), naming
    the file when it is empty. Returns the table as read."""
    try:
        df = pd.read_csv(path, **read_csv)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    validate(df, path)
    return df
