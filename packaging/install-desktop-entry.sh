#!/bin/sh
# Add Resonote (this unpacked folder) to your desktop's application menu, for your account
# only: afterwards start it from the menu or by double-clicking an audio file.
#   ./install-desktop-entry.sh            install
#   ./install-desktop-entry.sh --remove   undo
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
APPS=$DATA/applications
ICONS=$DATA/icons/hicolor

if [ "${1:-}" = "--remove" ]; then
    rm -f "$APPS/resonote.desktop"
    for dir in "$ICONS"/*/apps; do rm -f "$dir/resonote.png" "$dir/resonote.svg"; done
    echo "Removed Resonote from the application menu."
    exit 0
fi

mkdir -p "$APPS"
for png in "$HERE"/_internal/resources/icons/resonote-*.png; do
    size=$(basename "$png" .png | sed 's/resonote-//')
    mkdir -p "$ICONS/${size}x${size}/apps"
    cp "$png" "$ICONS/${size}x${size}/apps/resonote.png"
done
mkdir -p "$ICONS/scalable/apps"
cp "$HERE/_internal/resources/icons/resonote.svg" "$ICONS/scalable/apps/resonote.svg"
# The menu entry runs this folder's executable by its absolute path.
sed -e "s|^Exec=resonote|Exec=\"$HERE/resonote\"|" -e "s|^TryExec=resonote|TryExec=$HERE/resonote|" \
    "$HERE/resonote.desktop" > "$APPS/resonote.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPS" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
echo "Resonote is in your application menu ($APPS/resonote.desktop)."
