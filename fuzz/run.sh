#!/usr/bin/env bash
# Run the fuzz targets one after another for a fixed time each (default: all targets).
#   fuzz/run.sh SECONDS [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets the stable toolchain take
# the sanitizer flags. New inputs go to $FUZZ_WORK/<target> (default fuzz/work, not committed); the
# committed seeds in fuzz/corpus/<target> are only read. Crashes land in fuzz/artifacts/<target>/.
# Each run is niced and single-process; its log is fuzz/logs/<target>.log and the summary line
# (executions, coverage, corpus) is printed at the end.
# FUZZ_SANITIZER=none runs without AddressSanitizer (default: address). Our code forbids `unsafe`,
# so ASan mostly watches the dependencies' SIMD code; without it the slow targets (receiver_iq)
# run ~10-50x more executions in the same time.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(sigmf_meta wav raw hardware_profile scene_toml opencellid_csv burst_listing
           l2l3_frames sch_and_xcch_decoders receiver_iq limits lte_sib1 lte_control_decoders
           lte_phy_channels)
fi
work=${FUZZ_WORK:-$PWD/work}
export RUSTC_BOOTSTRAP=1
san=${FUZZ_SANITIZER:-address}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/tgt-fuzz}
mkdir -p logs
nice -n 19 cargo fuzz build -O -s "$san" --target-dir "$CARGO_TARGET_DIR" "${targets[@]:0:1}" >/dev/null
status=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  extra=()
  case $t in
    receiver_iq) extra=(-max_len=8192 -timeout=60) ;;
    sigmf_meta | wav | scene_toml) extra=(-max_len=16384 -timeout=20) ;;
    *) extra=(-timeout=20) ;;
  esac
  echo "== $t: ${secs}s (sanitizer: $san)"
  if ! nice -n 19 cargo fuzz run -O -s "$san" --target-dir "$CARGO_TARGET_DIR" "$t" "$work/$t" "corpus/$t" -- \
      -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=4096 \
      "${extra[@]}" >"logs/$t.log" 2>&1; then
    echo "   FAILED: see fuzz/logs/$t.log and fuzz/artifacts/$t/"
    status=1
  fi
  done_line=$(grep -E '^#[0-9]+ +DONE' "logs/$t.log" | tail -1 || true)
  execs=$(grep -E '^stat::number_of_executed_units' "logs/$t.log" | awk '{print $2}' || true)
  echo "   execs ${execs:-?} | ${done_line:-no DONE line}"
done
exit $status
