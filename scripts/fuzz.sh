#!/usr/bin/env bash
# Fuzzes the pure crates' parsers and validators with cargo-fuzz (libFuzzer), one target after
# the other, and writes the results into BENCHMARKS.md between the `<!-- fuzz:begin -->` and
# `<!-- fuzz:end -->` lines (appended at the end when absent; the rest of the file is left as
# it is). Exits non-zero when a target crashed, printing the artifact that reproduces it:
#
#   (cd fuzz && cargo +nightly fuzz run <target> artifacts/<target>/crash-…)
#
#   scripts/fuzz.sh                          # every target, 60 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh jsonrpc pagination
#
# Each target starts from its hand-written seeds (fuzz/seeds/<target>, committed) copied into
# fuzz/corpus/<target>, where the generated corpus accumulates between runs (not committed).
#
# Toolchain: cargo-fuzz needs nightly-only rustc flags (-Zsanitizer, sanitizer coverage). With a
# `nightly` toolchain installed it is used; otherwise the default (stable) toolchain runs with
# RUSTC_BOOTSTRAP=1, which unlocks those flags. On x86_64 Linux stable ships the AddressSanitizer runtime, so the
# fallback keeps the default `--sanitizer address` (checked on stable 1.95); should the ASan
# build fail on some stable toolchain or platform, the script retries with `--sanitizer none`
# (the targets are safe Rust, so coverage-guided fuzzing with debug assertions and overflow
# checks still finds what matters) and says so. FUZZ_TOOLCHAIN=nightly|stable forces a choice.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CROW_ROOT"

CARGO_FUZZ_VERSION="0.13.2"
seconds="${FUZZ_SECONDS:-60}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "FUZZ_SECONDS must be a positive whole number of seconds, not '$seconds'"

if [[ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

toolchain="${FUZZ_TOOLCHAIN:-}"
if [[ -z "$toolchain" ]]; then
  if command -v rustup >/dev/null 2>&1 && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=nightly
  else
    toolchain=stable
  fi
fi
run_flags=()
case "$toolchain" in
  nightly) fuzz=(cargo +nightly fuzz) ;;
  stable) # the default toolchain, whatever its name (stable, 1.95.0, …)
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz) ;;
  *) die "FUZZ_TOOLCHAIN must be nightly or stable, not '$toolchain'" ;;
esac
sanitizer="address"
if [[ "$toolchain" == nightly ]]; then rustc_version="$(rustc +nightly --version)"; else rustc_version="$(rustc --version)"; fi

cd fuzz
mapfile -t all_targets < <("${fuzz[@]}" list)
[[ ${#all_targets[@]} -gt 0 ]] || die "\`${fuzz[*]} list\` found no fuzz targets"
if [[ $# -gt 0 ]]; then
  targets=("$@")
  for t in "${targets[@]}"; do
    printf '%s\n' "${all_targets[@]}" | grep -qx -- "$t" || die "unknown fuzz target '$t' (targets: ${all_targets[*]})"
  done
else
  targets=("${all_targets[@]}")
fi

log "building ${#targets[@]} fuzz targets ($toolchain toolchain, sanitizer: $sanitizer)"
build_log="$(mktemp /tmp/crow-fuzz-build.XXXXXX)"
build() { # build [flags…]: the selected targets (all at once when all are selected)
  if [[ ${#targets[@]} -eq ${#all_targets[@]} ]]; then
    "${fuzz[@]}" build "$@"
  else
    for t in "${targets[@]}"; do "${fuzz[@]}" build "$@" "$t" || return 1; done
  fi
}
if ! build > "$build_log" 2>&1; then
  [[ "$toolchain" == stable ]] || { tail -n 40 "$build_log" >&2; die "building the fuzz targets failed"; }
  log "the AddressSanitizer build failed on stable; falling back to --sanitizer none"
  tail -n 10 "$build_log" >&2
  sanitizer="none"
  run_flags=(--sanitizer none)
  build "${run_flags[@]}" > "$build_log" 2>&1 || { tail -n 40 "$build_log" >&2; die "building the fuzz targets failed"; }
fi
rm -f "$build_log"

logs="$(mktemp -d /tmp/crow-fuzz.XXXXXX)"
results="$logs/results.tsv"
: > "$results"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  if [[ -d "seeds/$t" ]]; then cp -n "seeds/$t"/* "corpus/$t"/ 2>/dev/null || true; fi
  log "fuzzing $t for ${seconds}s"
  rc=0
  "${fuzz[@]}" run "${run_flags[@]}" "$t" "corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1 \
    > "$logs/$t.log" 2>&1 || rc=$?
  execs="$(awk -F: '/^stat::number_of_executed_units/ { gsub(/ /, "", $2); n = $2 } END { print n }' "$logs/$t.log")"
  if [[ -z "$execs" ]]; then # no final stats (e.g. after a crash): the last "#N ..." status line
    execs="$(grep -aoE '^#[0-9]+' "$logs/$t.log" | tail -n 1 | tr -d '#' || true)"
  fi
  execs="${execs:-0}"
  corpus_size="$(find "corpus/$t" -type f | wc -l)"
  # libFuzzer names every input that crashed, leaked, timed out or ran out of memory.
  new_artifacts="$(grep -aoE 'Test unit written to [^ ]+' "$logs/$t.log" | sed 's/^Test unit written to //' | sort -u || true)"
  crashes="$(printf '%s' "$new_artifacts" | grep -c . || true)"
  if [[ "$rc" -ne 0 && "$crashes" -eq 0 ]]; then
    crashes=1 # failed without an artifact (a build or harness error): still a failure
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$seconds" "$execs" "$corpus_size" "$crashes" >> "$results"
  if [[ "$crashes" -gt 0 ]]; then
    failed+=("$t")
    printf '\033[1;31m%s crashed (exit %s); log: %s\033[0m\n' "$t" "$rc" "$logs/$t.log" >&2
    grep -aE "panicked at|SUMMARY|Test unit written" "$logs/$t.log" | head -n 10 >&2 || true
    while read -r a; do
      [[ -n "$a" ]] || continue
      printf 'artifact: %s\n  reproduce: (cd fuzz && %s run %s%s %s)\n' "$a" "${fuzz[*]}" "${run_flags[*]:+${run_flags[*]} }" "$t" "$a" >&2
    done <<< "$new_artifacts"
  fi
done
cd "$CROW_ROOT"

python3 - "$results" "$toolchain" "$sanitizer" "$CARGO_FUZZ_VERSION" "$rustc_version" <<'PY'
import datetime, os, re, sys
results, toolchain, sanitizer, cf_version, rustc = sys.argv[1:6]
path = "BENCHMARKS.md"
BEGIN, END = "<!-- fuzz:begin -->", "<!-- fuzz:end -->"
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
cores = os.cpu_count()
rows = {}
# Keep the rows of targets not run this time.
text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
if BEGIN in text and END in text:
    old = text.split(BEGIN, 1)[1].split(END, 1)[0]
    for line in old.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 8:
            rows[cells[0].strip("`")] = line
new = []
for line in open(results, encoding="utf-8"):
    t, secs, execs, corpus, crashes = line.rstrip("\n").split("\t")
    rate = int(execs) / int(secs) if int(secs) else 0
    rows[t] = f"| `{t}` | {secs} | {int(execs):,} | {rate:,.0f} | {corpus} | {crashes} | {date} | {cores} |"
    new.append(rows[t])
table = ["| target | seconds | executions | execs/s | corpus size | crashes | date | machine cores |",
         "|---|---:|---:|---:|---:|---:|---|---:|"] + [rows[k] for k in sorted(rows)]
section = "\n".join([
    "",
    "## Fuzzing",
    "",
    f"Written by `scripts/fuzz.sh` (cargo-fuzz {cf_version}, libFuzzer, {rustc}, sanitizer: {sanitizer}).",
    "Each target runs for the given seconds on one core from its committed seeds plus the corpus",
    "kept from earlier runs on this machine; executions per second depend on the machine and on how",
    "much work one input does, so compare a target with itself, not targets with each other.",
    "Targets and the properties they check are described at the top of each `fuzz/fuzz_targets/*.rs`.",
    "",
    *table,
    "",
])
if BEGIN in text and END in text:
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    text = head + BEGIN + section + END + tail
else:
    if text and not text.endswith("\n"):
        text += "\n"
    text += BEGIN + section + END + "\n"
with open(path, "w", encoding="utf-8") as f:
    f.write(text)
print("\n".join(table[:2] + new))
PY

if [[ ${#failed[@]} -gt 0 ]]; then
  die "fuzz targets crashed: ${failed[*]} (artifacts under fuzz/artifacts/<target>/, logs in $logs)"
fi
log "no crashes; results in BENCHMARKS.md (logs in $logs)"
