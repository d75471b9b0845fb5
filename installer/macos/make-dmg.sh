#!/usr/bin/env bash
# Makes a drag-to-install disk image of Watchkeeper.app. Runs on a Mac (hdiutil);
# installer/build.py calls it after PyInstaller has made the .app.
#   installer/macos/make-dmg.sh dist/Watchkeeper.app dist/Watchkeeper-0.1.0.dmg
# With WATCHKEEPER_SIGN_IDENTITY set (a "Developer ID Application" certificate in the
# keychain) the app is signed with the hardened runtime; otherwise it is signed ad hoc,
# which runs on the Mac that built it and, elsewhere, after right-click > Open.
set -euo pipefail
app=${1:?the .app to pack}
dmg=${2:?the .dmg to write}
[ -d "$app" ] || { echo "make-dmg: $app is not there (run installer/build.py first)" >&2; exit 1; }
command -v hdiutil >/dev/null || { echo "make-dmg: hdiutil is macOS only" >&2; exit 1; }

identity=${WATCHKEEPER_SIGN_IDENTITY:--}
options=(--force --deep --sign "$identity")
[ "$identity" != "-" ] && options+=(--options runtime --timestamp)
codesign "${options[@]}" "$app"
codesign --verify --deep --strict "$app"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
rm -f "$dmg"
hdiutil create -quiet -volname "$(basename "$app" .app)" -srcfolder "$stage" -fs HFS+ \
  -format UDZO -imagekey zlib-level=9 "$dmg"
echo "make-dmg: $dmg"
