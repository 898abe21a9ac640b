#!/usr/bin/python3
"""The pandas side of build/bench/validate-benchmark.sh: read_csv with the schema's dtypes, then the same checks
MlBuildGuard runs (types, nulls, ranges, enum, lengths, uniqueness, row count, null fractions, label shares).
Prints the number of violations; exit 0 always (the benchmark compares time and memory, and the verdict)."""
import sys

import pandas as pd

path = sys.argv[1]
df = pd.read_csv(
    path,
    dtype={"id": "int64", "age": "int64", "income": "float64", "score": "float64", "label": "string",
           "city": "string", "active": "boolean", "comment": "string"},
    parse_dates=["signup"], keep_default_na=False, na_values=[""])
problems = 0
problems += int(pd.to_datetime(df["signup"], format="%Y-%m-%d", errors="coerce").isna().sum() - df["signup"].isna().sum())
for column in ["id", "age", "label", "city"]:
    problems += int(df[column].isna().sum())
problems += int((df["id"] < 1).sum())
problems += int(((df["age"] < 0) | (df["age"] > 120)).sum())
problems += int((df["income"] < 0).sum())
problems += int(((df["score"] < 0) | (df["score"] > 1)).sum())
problems += int((~df["label"].isin(["pos", "neg", "neutral"])).sum())
problems += int((df["city"].str.len() > 32).sum())
problems += int((df["comment"].str.len() > 200).sum())
problems += int(df["id"].duplicated().sum())
problems += int(len(df) < 1000)
for column in df.columns:
    limit = 0.5 if column == "comment" else 0.01
    problems += int(df[column].isna().mean() > limit)
shares = df["label"].value_counts(normalize=True)
problems += int((shares < 0.1).sum())
print("rows %d, problems %d" % (len(df), problems))
