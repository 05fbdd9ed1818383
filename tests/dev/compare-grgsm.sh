#!/usr/bin/env bash
# Dev-only (not CI): speed of our `towerwatch decode` against Debian's gr-gsm (`grgsm_decode`, the
# reference open-source receiver) on the same real captures, in the same run, several times each.
# For each run prints wall and CPU time (user + system, from /usr/bin/time) of both, and per file
# the medians, CPU seconds per signal second and the ratio gr-gsm / towerwatch.
# usage: tests/dev/compare-grgsm.sh [RUNS]          (default 5 runs; TOWERWATCH_BIN=PATH skips the build)
# Needs gr-gsm (installed once by ../shared/tools/grgsm-check, which also holds the GNU Radio
# 3.10 workaround used here) and the captures in ../shared/recordings/.
# Both programs get the whole file; both decode the one BCCH carrier at its centre. The captures
# are short (80 000 samples: 0.16 s at 500 kS/s, 0.08 s at 1 MS/s), so process start-up (Python
# and GNU Radio for gr-gsm) weighs on both figures: the CPU per signal second here is an upper
# bound. `towerwatch bench` measures our decoder on long signals.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
rec=${RECORDINGS:-../shared/recordings}
check=${GRGSM_CHECK:-../shared/tools/grgsm-check}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
tw=${TOWERWATCH_BIN:-}
if [ -z "$tw" ]; then
  cargo build -q --release
  tw=$CARGO_TARGET_DIR/release/towerwatch
fi
# The patched grgsm_decode (pdu.socket_pdu → network.socket_pdu), made by grgsm-check.
fixed=${TMPDIR:-/tmp}/grgsm_decode_fixed
if [ ! -s "$fixed" ]; then
  "$check" "$rec/gsmsp-941.0MHz-500k.sigmf-data" 500000 941000000 >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A longer recording as well, where start-up no longer counts: SYNTH_S seconds (default 20) of
# the legit-neighbourhood scene at 1 MS/s centred on ARFCN 20 (939.0 MHz; ARFCN 18 and 19 are in
# the band too, each program decodes the centre carrier).
synth_s=${SYNTH_S:-20}
"$tw" synth recordings/scenes/legit-neighbourhood.toml -o "$tmp/synth-939.0MHz-1M" --rate 1e6 \
  --freq 939e6 --drop-out-of-band --datatype cf32 --seconds "$synth_s" >/dev/null
# name:rate:freq (files in $rec, or in $tmp for the generated one)
files="gsmsp-941.0MHz-500k:500000:941000000 gsmsp-953.6MHz-1M:1000000:953600000 synth-939.0MHz-1M:1000000:939000000"
printf '%-22s %-10s %3s %8s %8s %7s\n' file program run "wall s" "CPU s" frames
for spec in $files; do
  IFS=: read -r name rate freq <<<"$spec"
  dir=$rec
  [ -f "$tmp/$name.sigmf-data" ] && dir=$tmp
  data=$dir/$name.sigmf-data
  [ -f "$data" ] || { echo "skipping: $data absent"; continue; }
  samples=$(( $(stat -c %s "$data") / 8 ))
  for i in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e %U %S' -o "$tmp/t" "$fixed" -c "$data" -s "$rate" -f "$freq" -m BCCH -t 0 -v \
      >"$tmp/g.out" 2>/dev/null || true
    read -r w u s <"$tmp/t"
    n=$(grep -cE '^[0-9]+ [0-9]+: ' "$tmp/g.out" || true)
    cpu=$(echo "$u + $s" | bc -l)
    printf '%-22s %-10s %3d %8.3f %8.3f %7s\n' "$name" grgsm "$i" "$w" "$cpu" "$n"
    echo "$name grgsm $w $cpu" >>"$tmp/all"
    /usr/bin/time -f '%e %U %S' -o "$tmp/t" "$tw" decode "$dir/$name.sigmf-meta" --carrier "$freq" \
      >"$tmp/t.out"
    read -r w u s <"$tmp/t"
    n=$(grep -cE '^ *[0-9]+ +[0-9]+ +: ' "$tmp/t.out" || true)
    cpu=$(echo "$u + $s" | bc -l)
    printf '%-22s %-10s %3d %8.3f %8.3f %7s\n' "$name" towerwatch "$i" "$w" "$cpu" "$n"
    echo "$name towerwatch $w $cpu" >>"$tmp/all"
  done
  sig=$(echo "$samples / $rate" | bc -l)
  med() { grep "^$name $1 " "$tmp/all" | awk -v c="$2" '{print $c}' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  gw=$(med grgsm 3); gc=$(med grgsm 4); tw_w=$(med towerwatch 3); tc=$(med towerwatch 4)
  printf '%s (%.3f s of signal), medians of %d runs:\n' "$name" "$sig" "$runs"
  printf '  gr-gsm     wall %.3f s  CPU %.3f s  = %.2f CPU-s per signal-s\n' "$gw" "$gc" "$(echo "$gc / $sig" | bc -l)"
  printf '  towerwatch wall %.3f s  CPU %.3f s  = %.2f CPU-s per signal-s\n' "$tw_w" "$tc" "$(echo "$tc / $sig" | bc -l)"
  printf '  ratio gr-gsm / towerwatch: wall %.1fx, CPU %.1fx\n' \
    "$(echo "$gw / $tw_w" | bc -l)" "$(echo "$gc / ($tc + 0.0001)" | bc -l)"
done
