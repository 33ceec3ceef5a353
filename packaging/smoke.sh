#!/usr/bin/env bash
# Smoke test of the BUILT bundle (packaging/build.sh first), headless:
#   1. the command-line side: `resonote info` on the demo clip, and `resonote models list`
#      must show every bundled model as installed (their files made it into the bundle);
#   2. the window, off-screen: start it, open an audio file, run the embedded notes
#      transcription (Basic Pitch), save a screenshot, exit 0 (app/smoke.py).
#
# Usage: packaging/smoke.sh [BUNDLE_DIR] [AUDIO_FILE]
#   BUNDLE_DIR  default dist/Resonote;  AUDIO_FILE  default: the bundled demo clip
# Writes build/smoke/smoke.png and prints the timings; exit status 0 = passed.
set -euo pipefail

cd "$(dirname "$0")/.."
BUNDLE=${1:-dist/Resonote}
AUDIO=${2:-}
EXE=$BUNDLE/resonote
OUT=build/smoke
mkdir -p "$OUT"
if [ ! -x "$EXE" ]; then
    echo "smoke: no bundle at $EXE; run packaging/build.sh first" >&2
    exit 1
fi
# Isolated settings, state and model cache: the smoke test never touches the user's.
export RESONOTE_CONFIG_DIR=$PWD/$OUT/config RESONOTE_STATE_DIR=$PWD/$OUT/state
export RESONOTE_CACHE_DIR=$PWD/$OUT/cache XDG_CACHE_HOME=$PWD/$OUT/xdg-cache
export QT_QPA_PLATFORM=offscreen
rm -rf "$RESONOTE_CONFIG_DIR" "$RESONOTE_STATE_DIR"

echo "== resonote info (bundled demo clip)"
DEMO=$BUNDLE/_internal/resources/demo/demo.flac
timeout 300 "$EXE" info "$DEMO"

echo "== resonote models list"
timeout 300 "$EXE" models list | tee "$OUT/models.txt"
missing=0
for name in whisper-tiny.en silero-vad basic-pitch crepe-tiny crepe-full resonote-generator \
            deepfilternet3 rnnoise; do
    line=$(grep -E "^\s*$name\s" "$OUT/models.txt" || true)
    if ! printf '%s' "$line" | grep -qE "bundled\s*$"; then
        echo "smoke: bundled model $name is not installed in the bundle: $line" >&2
        missing=1
    fi
done
[ "$missing" = 0 ] || exit 1

echo "== window: open, transcribe notes, screenshot"
start=$(date +%s.%N)
timeout 900 "$EXE" --smoke-test "$OUT/smoke.png" ${AUDIO:+"$AUDIO"}
end=$(date +%s.%N)
test -s "$OUT/smoke.png"
echo "smoke: passed in $(echo "$end - $start" | bc) s; screenshot $OUT/smoke.png"
