#!/bin/sh
# Build the iqfile SoapySDR module: tests/soapy-iqfile/build.sh OUTDIR  ->  OUTDIR/libiqfileSupport.so
# Needs: g++, pkg-config, libsoapysdr-dev.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
# shellcheck disable=SC2046
${CXX:-g++} -std=c++17 -O2 -Wall -Wextra -Werror -fPIC -shared \
    $(pkg-config --cflags SoapySDR) \
    -o "$1/libiqfileSupport.so" "$here/IQFile.cpp" \
    $(pkg-config --libs SoapySDR)
echo "$1/libiqfileSupport.so"
