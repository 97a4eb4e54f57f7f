#!/bin/sh
# Install Panchro for this user, without root: run it from the unpacked bundle.
#
#   ./install.sh            install (or update) from the folder this script is in
#   ./install.sh --help
#
# What goes where (XDG_DATA_HOME defaults to ~/.local/share):
#   $XDG_DATA_HOME/panchro/app/                 the program (this bundle, copied)
#   ~/.local/bin/panchro-gui, ~/.local/bin/panchro   links to the app and the command line
#   $XDG_DATA_HOME/applications/panchro.desktop the menu entry (opens films and .panchro files)
#   $XDG_DATA_HOME/icons/hicolor/*/apps/panchro.*   icons
#   $XDG_DATA_HOME/mime/packages/panchro.xml    the .panchro file type
# Desktop files, icons and the file type go through xdg-desktop-menu, xdg-icon-resource and
# xdg-mime when they are installed (they tell the desktop at once); otherwise the files are
# copied and update-desktop-database, gtk-update-icon-cache and update-mime-database run
# where present; Panchro is made the default for .panchro files only through xdg-mime.
# Your settings, logs and jobs are not touched. uninstall.sh undoes this.
set -eu

usage() {
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

say() { printf '%s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

BUNDLE=$(cd "$(dirname "$0")" && pwd -P)
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
BIN_DIR=${PANCHRO_BIN_DIR:-$HOME/.local/bin}
DEST=$DATA_HOME/panchro/app

if [ ! -x "$BUNDLE/Panchro" ] || [ ! -x "$BUNDLE/panchro-engine" ]; then
    echo "install.sh: $BUNDLE is not a Panchro bundle (no Panchro and panchro-engine)" >&2
    exit 1
fi
mkdir -p "$DATA_HOME/panchro"
if [ -d "$DEST" ] && [ "$(cd "$DEST" && pwd -P)" = "$BUNDLE" ]; then
    echo "install.sh: this is the installed copy; run install.sh from a new bundle" >&2
    exit 1
fi

# The program: copied beside the old one, then swapped in, so a failed copy breaks nothing.
NEW=$DEST.new.$$
trap 'rm -rf "$NEW"' EXIT
rm -rf "$NEW"
cp -R "$BUNDLE" "$NEW"
if [ -e "$DEST" ]; then
    mv "$DEST" "$DEST.old.$$"
    mv "$NEW" "$DEST"
    rm -rf "$DEST.old.$$"
else
    mv "$NEW" "$DEST"
fi
trap - EXIT
say "program:    $DEST"

# Command-line links; a file that is not ours (a pip-installed panchro) is left alone.
mkdir -p "$BIN_DIR"
link() {  # link NAME TARGET
    if [ -e "$BIN_DIR/$1" ] && [ ! -L "$BIN_DIR/$1" ]; then
        say "skipped:    $BIN_DIR/$1 exists and is not a link (not replaced)"
        return
    fi
    ln -sfn "$2" "$BIN_DIR/$1"
    say "command:    $BIN_DIR/$1 -> $2"
}
link panchro-gui "$DEST/Panchro"
link panchro "$DEST/panchro-engine"
case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) say "note:       $BIN_DIR is not on your PATH; the menu entry works anyway" ;;
esac

SHARE=$DEST/share
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The menu entry, pointing at the installed program by its absolute path, escaped as the
# Desktop Entry spec asks: inside Exec's quotes a backslash before " ` $ \, then % doubled,
# then the string rule doubles every backslash (so a literal \ is four). The path goes in
# as data, never into a sed replacement, where & or | would break it.
exec_path=$(printf '%s\n' "$DEST/Panchro" | sed -e 's/[\\"`$]/\\&/g' -e 's/%/%%/g' -e 's/\\/\\\\/g')
try_path=$(printf '%s\n' "$DEST/Panchro" | sed -e 's/\\/\\\\/g')
while IFS= read -r line || [ -n "$line" ]; do
    case $line in
        Exec=*) printf 'Exec="%s" %%f\n' "$exec_path" ;;
        TryExec=*) printf 'TryExec=%s\n' "$try_path" ;;
        *) printf '%s\n' "$line" ;;
    esac
done <"$SHARE/applications/panchro.desktop" >"$TMP/panchro.desktop"
if have xdg-desktop-menu; then
    xdg-desktop-menu install --mode user --novendor "$TMP/panchro.desktop"
else
    mkdir -p "$DATA_HOME/applications"
    cp "$TMP/panchro.desktop" "$DATA_HOME/applications/panchro.desktop"
    if have update-desktop-database; then
        update-desktop-database -q "$DATA_HOME/applications" || true
    fi
fi
say "menu entry: $DATA_HOME/applications/panchro.desktop"

# Icons, every size the bundle has.
if have xdg-icon-resource; then
    for png in "$SHARE"/icons/hicolor/*/apps/panchro.png; do
        size=$(basename "$(dirname "$(dirname "$png")")")
        xdg-icon-resource install --mode user --noupdate --novendor --context apps \
            --size "${size%%x*}" "$png" panchro
    done
    xdg-icon-resource forceupdate --mode user
    # xdg-icon-resource takes PNGs only; the SVG is copied.
    mkdir -p "$DATA_HOME/icons/hicolor/scalable/apps"
    cp "$SHARE/icons/hicolor/scalable/apps/panchro.svg" "$DATA_HOME/icons/hicolor/scalable/apps/"
else
    mkdir -p "$DATA_HOME/icons"
    cp -R "$SHARE/icons/hicolor" "$DATA_HOME/icons/"
    if have gtk-update-icon-cache && [ -f "$DATA_HOME/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" || true
    fi
fi
say "icons:      $DATA_HOME/icons/hicolor/*/apps/panchro.*"

# The .panchro file type; Panchro is made its default application (videos keep theirs).
if have xdg-mime; then
    xdg-mime install --mode user --novendor "$SHARE/mime/packages/panchro.xml"
    xdg-mime default panchro.desktop application/x-panchro-project
else
    mkdir -p "$DATA_HOME/mime/packages"
    cp "$SHARE/mime/packages/panchro.xml" "$DATA_HOME/mime/packages/panchro.xml"
    if have update-mime-database; then
        update-mime-database "$DATA_HOME/mime" || true
    fi
fi
say "file type:  application/x-panchro-project (*.panchro)"
say "Installed Panchro $(cat "$DEST/VERSION" 2>/dev/null || echo ''). Start it from the menu or with panchro-gui; check it with: panchro-gui --self-test"
