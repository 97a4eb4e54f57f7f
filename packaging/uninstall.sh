#!/bin/sh
# Remove what install.sh installed for this user.
#
#   uninstall.sh           remove the program, its links, menu entry, icons and file type
#   uninstall.sh --purge   also remove your Panchro settings, logs, caches and job folders
#
# Without --purge your settings (~/.config/panchro), logs (~/.local/state/panchro) and
# data (~/.local/share/panchro, beside the program) stay, and are listed at the end.
set -eu

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

PURGE=0
case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    --purge) PURGE=1 ;;
    "") ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

say() { printf '%s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
CONFIG_HOME=${XDG_CONFIG_HOME:-$HOME/.config}
STATE_HOME=${XDG_STATE_HOME:-$HOME/.local/state}
CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
BIN_DIR=${PANCHRO_BIN_DIR:-$HOME/.local/bin}
DEST=$DATA_HOME/panchro/app

# Links: only those that point into the installed program.
for name in panchro-gui panchro; do
    if [ -L "$BIN_DIR/$name" ]; then
        case "$(readlink "$BIN_DIR/$name")" in
            "$DEST"/*) rm -f "$BIN_DIR/$name"; say "removed:    $BIN_DIR/$name" ;;
        esac
    fi
done

if have xdg-desktop-menu; then
    xdg-desktop-menu uninstall --mode user panchro.desktop || true
fi
rm -f "$DATA_HOME/applications/panchro.desktop"
if have update-desktop-database && [ -d "$DATA_HOME/applications" ]; then
    update-desktop-database -q "$DATA_HOME/applications" || true
fi
say "removed:    menu entry"

if have xdg-icon-resource; then
    for png in "$DATA_HOME"/icons/hicolor/*/apps/panchro.png; do
        [ -e "$png" ] || continue
        size=$(basename "$(dirname "$(dirname "$png")")")
        xdg-icon-resource uninstall --mode user --noupdate --size "${size%%x*}" panchro || true
    done
fi
rm -f "$DATA_HOME"/icons/hicolor/*/apps/panchro.png "$DATA_HOME"/icons/hicolor/*/apps/panchro.svg
if have xdg-icon-resource; then
    xdg-icon-resource forceupdate --mode user || true
elif have gtk-update-icon-cache && [ -f "$DATA_HOME/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" || true
fi
say "removed:    icons"

if have xdg-mime; then
    xdg-mime uninstall --mode user "$DATA_HOME/mime/packages/panchro.xml" || true
fi
if [ -e "$DATA_HOME/mime/packages/panchro.xml" ]; then
    rm -f "$DATA_HOME/mime/packages/panchro.xml"
    if have update-mime-database; then
        update-mime-database "$DATA_HOME/mime" || true
    fi
fi
say "removed:    file type"

# The folders install.sh made for these files, where nothing else is left in them (another
# application's icons, a desktop's caches keep theirs): rmdir removes only empty ones.
for d in "$DATA_HOME"/icons/hicolor/*/apps "$DATA_HOME"/icons/hicolor/*; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
done
for d in "$DATA_HOME/icons/hicolor" "$DATA_HOME/icons" "$DATA_HOME/applications" \
    "$DATA_HOME/mime/packages" "$DATA_HOME/mime" "$BIN_DIR"; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
done

# The program last: this script may be the copy inside it (a running shell keeps reading
# a deleted script from its open file).
rm -rf "$DEST"
say "removed:    $DEST"

if [ "$PURGE" = 1 ]; then
    for d in "$CONFIG_HOME/panchro" "$DATA_HOME/panchro" "$STATE_HOME/panchro" \
        "$CACHE_HOME/panchro"; do
        if [ -e "$d" ]; then rm -rf "$d"; say "removed:    $d"; fi
    done
else
    rmdir "$DATA_HOME/panchro" 2>/dev/null || true
    for d in "$CONFIG_HOME/panchro" "$DATA_HOME/panchro" "$STATE_HOME/panchro" \
        "$CACHE_HOME/panchro"; do
        if [ -e "$d" ]; then say "kept:       $d (uninstall.sh --purge removes it)"; fi
    done
fi
say "Panchro is uninstalled."
