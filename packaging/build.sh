#!/usr/bin/env bash
# Build the Resonote desktop app for Linux from the repository root:
#
#   dist/Resonote/                                  one-folder bundle (run dist/Resonote/resonote)
#   dist/resonote-<version>-linux-<arch>.tar.gz     that folder, for any distribution
#   dist/resonote_<version>_<debarch>.deb           Debian/Ubuntu package (/opt/resonote, menu entry)
#
# Usage: packaging/build.sh            (everything)
#        SKIP_ARCHIVES=1 packaging/build.sh   (the folder only)
# Environment:
#   PYTHON                 the Python with Resonote's dependencies (default .venv/bin/python)
#   RESONOTE_BUNDLE_CUDA   0 = CPU-only bundle without torch's on-demand CUDA libraries
#                          (default 1: GPU-capable when torch is a CUDA build)
#   SKIP_DEB / SKIP_TAR    1 = skip that archive
#   SKIP_BUILD             1 = re-pack an existing dist/Resonote (no PyInstaller run)
# Windows and macOS: run PyInstaller on packaging/resonote.spec (docs/PACKAGING.md).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
PYINSTALLER_VERSION=6.22.3
DIST=$ROOT/dist
WORK=$ROOT/build/pyinstaller
APP=$DIST/Resonote
VERSION=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
ARCH=$(uname -m)
DEBARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)

say() { printf '\n== %s\n' "$*"; }
seconds() { date +%s; }

if ! "$PYTHON" -c 'import PyInstaller' 2>/dev/null; then
    say "installing PyInstaller $PYINSTALLER_VERSION"
    "$PYTHON" -m pip install -q "pyinstaller==$PYINSTALLER_VERSION"
fi
for size in 16 32 48 64 128 256 512; do
    if [ ! -f "resources/icons/resonote-$size.png" ]; then
        say "rendering icons"
        QT_QPA_PLATFORM=offscreen "$PYTHON" packaging/make_icons.py
        break
    fi
done

if [ "${SKIP_BUILD:-0}" = 1 ] && [ -x "$APP/resonote" ]; then
    say "re-packing the existing $APP"
    t0=$(seconds); t1=$t0
else
    say "PyInstaller: $APP (RESONOTE_BUNDLE_CUDA=${RESONOTE_BUNDLE_CUDA:-1})"
    t0=$(seconds)
    "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
        --distpath "$DIST" --workpath "$WORK" packaging/resonote.spec
    t1=$(seconds)
fi

# Desktop integration that travels with the folder (tar.gz users run it once).
install -m 644 packaging/resonote.desktop "$APP/resonote.desktop"
install -m 755 packaging/install-desktop-entry.sh "$APP/install-desktop-entry.sh"
install -m 644 packaging/NOTICES.md "$APP/NOTICES.md"
echo "PyInstaller: $((t1 - t0)) s; bundle $(du -sh "$APP" | cut -f1)"

if [ "${SKIP_ARCHIVES:-0}" = 1 ]; then exit 0; fi

if [ "${SKIP_TAR:-0}" != 1 ]; then
    TAR=$DIST/resonote-$VERSION-linux-$ARCH.tar.gz
    say "archive $TAR"
    t0=$(seconds)
    tar -C "$DIST" -cf - Resonote | gzip -6 > "$TAR.part" && mv "$TAR.part" "$TAR"
    echo "tar.gz: $(( $(seconds) - t0 )) s, $(du -h "$TAR" | cut -f1)"
fi

if [ "${SKIP_DEB:-0}" != 1 ]; then
    if ! command -v dpkg-deb >/dev/null; then
        echo "dpkg-deb not found: skipping the .deb" >&2
        exit 0
    fi
    DEB=$DIST/resonote_${VERSION}_${DEBARCH}.deb
    STAGE=$ROOT/build/deb/resonote
    say "Debian package $DEB"
    t0=$(seconds)
    rm -rf "$STAGE"
    mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
             "$STAGE/usr/share/doc/resonote" "$STAGE/usr/share/icons/hicolor/scalable/apps"
    # Hard links: no second copy of a multi-GB folder (falls back to a copy across devices).
    cp -al "$APP" "$STAGE/opt/resonote" 2>/dev/null || cp -a "$APP" "$STAGE/opt/resonote"
    rm -f "$STAGE/opt/resonote/install-desktop-entry.sh" "$STAGE/opt/resonote/resonote.desktop"
    ln -s /opt/resonote/resonote "$STAGE/usr/bin/resonote"
    install -m 644 packaging/resonote.desktop "$STAGE/usr/share/applications/resonote.desktop"
    for size in 16 24 32 48 64 128 256 512; do
        dir=$STAGE/usr/share/icons/hicolor/${size}x${size}/apps
        mkdir -p "$dir"
        install -m 644 "resources/icons/resonote-$size.png" "$dir/resonote.png"
    done
    install -m 644 resources/icons/resonote.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/"
    install -m 644 packaging/NOTICES.md "$STAGE/usr/share/doc/resonote/NOTICES.md"
    {
        echo "Resonote is MIT-licensed. Bundled models, data and libraries and their licences:"
        echo "see /usr/share/doc/resonote/NOTICES.md."
    } > "$STAGE/usr/share/doc/resonote/copyright"
    size_kb=$(du -sk "$STAGE" | cut -f1)
    cat > "$STAGE/DEBIAN/control" <<EOF
Package: resonote
Version: $VERSION
Section: sound
Priority: optional
Architecture: $DEBARCH
Installed-Size: $size_kb
Depends: libc6 (>= 2.31), libportaudio2, libegl1, libgl1, libopengl0, libfontconfig1, libdbus-1-3, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, libxcb-randr0, libxcb-render-util0, libxcb-image0, libxcb-xinerama0
Recommends: pulseaudio | pipewire-pulse, fluid-soundfont-gm
Maintainer: Resonote <resonote@localhost>
Homepage: https://github.com/resonote/resonote
Description: desktop audio workstation for musicians, offline AI tools
 Open or record audio, see it (waveform and spectrogram), hear it, and run
 tools on it: speech and music transcription, stem separation, restoration
 and generation. Bundled models work offline; larger ones download on demand.
EOF
    dpkg-deb --root-owner-group -Zgzip -z6 --build "$STAGE" "$DEB" >/dev/null
    rm -rf "$ROOT/build/deb"
    echo ".deb: $(( $(seconds) - t0 )) s, $(du -h "$DEB" | cut -f1)"
fi

say "done"
ls -la "$DIST"
