#!/usr/bin/python3
"""Writes the validation benchmark's inputs (build/bench/validate-benchmark.sh): a deterministic CSV of about
TARGET_MB MiB with realistic columns, the Table Schema MlBuildGuard checks it against, and the equivalent pandas check
script's parameters. Usage: validate_bench_data.py OUT_DIR TARGET_MB"""
import os
import random
import sys

out, target_mb = sys.argv[1], int(sys.argv[2])
random.seed(20261206)
cities = ["city%02d" % i for i in range(50)]
labels = ["pos", "neg", "neutral"]
path = os.path.join(out, "train.csv")
target = target_mb << 20
with open(path, "w", encoding="utf-8", newline="\n") as f:
    f.write("id,age,income,score,label,city,signup,active,comment\n")
    written, row_id, rows = 0, 0, []
    while written < target:
        row_id += 1
        rows.append("%d,%d,%.2f,%.4f,%s,%s,20%02d-%02d-%02d,%s,%s\n" % (
            row_id, random.randint(18, 90), random.uniform(1000, 250000), random.random(), random.choice(labels),
            random.choice(cities), random.randint(10, 25), random.randint(1, 12), random.randint(1, 28),
            "true" if random.random() < 0.7 else "false",
            "" if random.random() < 0.2 else "free text %d" % random.randint(0, 10**6)))
        if len(rows) == 20000:
            chunk = "".join(rows)
            f.write(chunk)
            written += len(chunk)
            rows = []
    if rows:
        f.write("".join(rows))

with open(os.path.join(out, "train.schema.yaml"), "w", encoding="utf-8") as f:
    f.write("""fields:
  - {name: id, type: integer, constraints: {required: true, unique: true, minimum: 1}}
  - {name: age, type: integer, constraints: {required: true, minimum: 0, maximum: 120}}
  - {name: income, type: number, constraints: {minimum: 0}}
  - {name: score, type: number, constraints: {minimum: 0, maximum: 1}}
  - {name: label, type: string, constraints: {required: true, enum: [pos, neg, neutral]}}
  - {name: city, type: string, constraints: {required: true, maxLength: 32}}
  - {name: signup, type: date}
  - {name: active, type: boolean}
  - {name: comment, type: string, constraints: {maxLength: 200}}
primaryKey: id
mlguard:
  minRows: 1000
  maxNullFraction: {comment: 0.5, '*': 0.01}
  labels: {field: label, minShare: 0.1}
""")
print(path)
