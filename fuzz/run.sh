#!/usr/bin/env bash
# Fuzzes one of Nabla's file readers with AFL++ and SharpFuzz for a fixed time.
#   fuzz/run.sh idx|model|csv SECONDS
# Builds fuzz/Nabla.Fuzz, instruments its copy of Nabla.dll with SharpFuzz, and runs afl-fuzz under nice -n 15,
# seeded from fuzz/corpus/TARGET. Findings go to fuzz/findings/TARGET (git-ignored); crashes are in
# fuzz/findings/TARGET/default/crashes. Replay one without AFL:
#   dotnet fuzz/out/bin/Nabla.Fuzz.dll TARGET < FILE
# Needs: afl++ (apt-get install afl++). Regenerate the seeds with: dotnet fuzz/out/bin/Nabla.Fuzz.dll emit-seeds . fuzz/corpus
set -euo pipefail
target=${1:?usage: fuzz/run.sh idx|model|csv SECONDS}
seconds=${2:?usage: fuzz/run.sh idx|model|csv SECONDS}
case "$target" in idx|model|csv) ;; *) echo "unknown target '$target' (idx, model or csv)" >&2; exit 2 ;; esac
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }

cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bin=$PWD/out/bin
nice -n 15 dotnet build Nabla.Fuzz -c Release -o "$bin" -nologo -v q
dotnet tool restore >/dev/null
# Instrument only the libraries under test (not the BCL, Sep, Parquet.Net nor the harness), once per build.
if [ ! -e "$bin/.instrumented" ] || [ "$bin/Nabla.dll" -nt "$bin/.instrumented" ] || [ "$bin/Nabla.Data.dll" -nt "$bin/.instrumented" ]; then
  dotnet tool run sharpfuzz "$bin/Nabla.dll"
  dotnet tool run sharpfuzz "$bin/Nabla.Data.dll"
  touch "$bin/.instrumented"
fi

findings=$PWD/findings/$target
mkdir -p "$findings"
resume=(-i "$PWD/corpus/$target")
# A second run of the same target continues where the last one stopped.
[ -d "$findings/default/queue" ] && resume=(-i -)

# A 512 MB GC heap turns any "allocate what the header says" bug into an OutOfMemoryException, i.e. a crash.
# AFL_SKIP_BIN_CHECK: the target is `dotnet`, not an AFL-instrumented binary; SharpFuzz does the instrumentation.
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
DOTNET_GCHeapHardLimit=0x20000000 DOTNET_TieredPGO=0 \
  nice -n 15 afl-fuzz "${resume[@]}" -o "$findings" -t 5000 -m none -V "$seconds" -- dotnet "$bin/Nabla.Fuzz.dll" "$target" \
  > "$findings/afl.log" 2>&1 || { tail -30 "$findings/afl.log" >&2; exit 1; }

stats=$findings/default/fuzzer_stats
crashes=$(find "$findings/default/crashes" -type f -name 'id:*' | wc -l)
hangs=$(find "$findings/default/hangs" -type f -name 'id:*' | wc -l)
echo "target $target: $(grep -E '^execs_done' "$stats" | awk '{print $3}') executions in $(grep -E '^run_time' "$stats" | awk '{print $3}') s," \
     "$(grep -E '^corpus_count' "$stats" | awk '{print $3}') paths, $crashes crashes, $hangs hangs (in $findings/default)"
