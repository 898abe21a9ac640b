#!/usr/bin/env bash
# Training-data validation benchmark (SPEC §8: "Data validation streams with bounded memory, at least 3x faster than
# pandas (read_csv plus the same checks) on the same file"). See docs/benchmarks.md.
#
#   build/bench/validate-benchmark.sh
#
# Environment: BENCH_DIR (work folder, default mktemp), BENCH_VALIDATE_MB (size of the CSV, default 1024),
# BENCH_RUNS (timed runs of each tool, median reported, default 1), BENCH_KEEP (1 keeps the data).
#
# Generates a deterministic CSV of BENCH_VALIDATE_MB MiB with nine realistic columns (sequential id, age, income, score,
# a three-class label, a city of 50, a date, a boolean, a sometimes-empty comment) and its Table Schema (types, required,
# unique primary key, ranges, enum, lengths, row count, null fractions, label shares); then, in the same run:
#   - the CSV parsers alone (build/bench/CsvParserBench): Sep (characters), CsvHelper 34 (bytes decoded to characters),
#     CsvHelper 34 (bytes only), reading every field;
#   - `mlguard validate train.csv --schema train.schema.yaml` (must exit 0: the data is clean);
#   - pandas: `read_csv` with the same dtypes, then the same checks (build/bench/validate_bench_pandas.py), with the
#     Debian python3-pandas under /usr/bin/python3 (installed with apt-get when missing and running as root).
# Reports wall time and peak resident memory (GNU time) of each, and pandas' time and memory divided by mlguard's.
set -euo pipefail
export LC_ALL=C
BENCH_NAME=validate-bench
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MB=${BENCH_VALIDATE_MB:-1024}
RUNS=${BENCH_RUNS:-1}
require_positive MB RUNS
require_tools dotnet
require_gnu_time
HERE=$BENCH_REPO/build/bench

if ! /usr/bin/python3 -c 'import pandas' >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing pandas (apt-get install -y python3-pandas)"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-pandas; } >/dev/null 2>&1 || die "could not install python3-pandas"
  else
    die "pandas is required: apt-get install python3-pandas"
  fi
fi
PANDAS_VERSION=$(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)')

prepare_work_folder mlguard-validatebench mlguard data parsers
need_free_mb $(( MB * 2 + 512 ))
publish_mlguard
log "building the CSV parser comparison"
(cd "$HERE/CsvParserBench" && dotnet publish -c Release -o "$W/parsers" -nodeReuse:false) >"$LOGS/parsers.log" 2>&1 \
  || die "building CsvParserBench failed; see $LOGS/parsers.log"

mkdir -p "$W/data"
log "generating a ${MB} MiB CSV and its schema in $W/data"
/usr/bin/python3 "$HERE/validate_bench_data.py" "$W/data" "$MB" >/dev/null
CSV=$W/data/train.csv
SCHEMA=$W/data/train.schema.yaml
ROWS=$(( $(wc -l <"$CSV") - 1 ))
BYTES=$(stat -c %s "$CSV")
cat "$CSV" >/dev/null # warm the page cache once, for every tool alike

measure sep 0 "$W/parsers/CsvParserBench" sep "$CSV"
measure csvhelper 0 "$W/parsers/CsvParserBench" csvhelper "$CSV"
measure csvhelper_bytes 0 "$W/parsers/CsvParserBench" csvhelper-bytes "$CSV"
measure mlguard 0 "${MLGUARD[@]}" validate "$CSV" --schema "$SCHEMA"
measure pandas 0 /usr/bin/python3 "$HERE/validate_bench_pandas.py" "$CSV"
grep -q 'problems 0' "$LOGS/pandas.out" || die "pandas found problems in clean data: $(cat "$LOGS/pandas.out")"

factor() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; } # a / b, bare
speed=$(factor "${T[pandas]}" "${T[mlguard]}")
cpu_speed=$(factor "${CPU[pandas]}" "${CPU[mlguard]}")
memory=$(factor "${RSS[pandas]}" "${RSS[mlguard]}")
verdict=$(awk -v s="$speed" 'BEGIN { print (s >= 3 ? "meets" : "does not meet") }')
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
  echo "Validation of a $(( BYTES >> 20 )) MiB CSV ($ROWS rows, 9 columns) on $(nproc) cores ($cpu), $(date -u +%Y-%m-%d); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| tool | wall time (s) | CPU time (s) | peak memory (MiB) |"
  echo "| --- | --- | --- | --- |"
  echo "| Sep 0.18.0, every field as characters | ${T[sep]} | ${CPU[sep]} | $(( RSS[sep] / 1024 )) |"
  echo "| CsvHelper 34.0.0, every field decoded to characters | ${T[csvhelper]} | ${CPU[csvhelper]} | $(( RSS[csvhelper] / 1024 )) |"
  echo "| CsvHelper 34.0.0, every field as UTF-8 bytes | ${T[csvhelper_bytes]} | ${CPU[csvhelper_bytes]} | $(( RSS[csvhelper_bytes] / 1024 )) |"
  echo "| \`mlguard validate\` (schema, expectations, profile, SHA-256) | ${T[mlguard]} | ${CPU[mlguard]} | $(( RSS[mlguard] / 1024 )) |"
  echo "| pandas $PANDAS_VERSION \`read_csv\` + the same checks | ${T[pandas]} | ${CPU[pandas]} | $(( RSS[pandas] / 1024 )) |"
  echo
  echo "mlguard is ${speed}x faster than pandas in wall time (${cpu_speed}x in CPU time) and uses ${memory}x less memory: $verdict SPEC §8 (at least 3x faster, bounded memory)."
} | tee "$W/results.md"
