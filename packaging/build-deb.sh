#!/usr/bin/env bash
# Builds the Debian package ngmedia from an existing CMake build tree:
#   packaging/build-deb.sh BUILD_DIR [OUT_DIR]
# The binaries and generated man pages of BUILD_DIR are staged beside a copy
# of packaging/debian and dpkg-buildpackage lays the package out (strip,
# shlibs, systemd snippets, conffiles, md5sums). Nothing is compiled again.
# Prints the path of the .deb on the last line.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: build-deb.sh BUILD_DIR [OUT_DIR]}" && pwd)
out=${2:-$build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^project(ngmedia VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
changelog_version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
if [ "$version" != "$changelog_version" ]; then
    echo "build-deb: CMakeLists.txt says $version, packaging/debian/changelog says $changelog_version" >&2
    exit 1
fi

for f in src/app/ngmediad tools/ngmedia-ctl man/ngmediad.8 man/ngmedia-ctl.8; do
    [ -s "$build/$f" ] || { echo "build-deb: $build/$f is missing (build first)" >&2; exit 1; }
done

work=$build/deb-work
rm -rf "$work"
pkg=$work/ngmedia-$version
mkdir -p "$pkg/staged/man" "$pkg/staged/default"
cp -r "$src/packaging/debian" "$pkg/debian"
cp "$src/packaging/ngmediad.service" "$pkg/debian/ngmedia.ngmediad.service"
cp "$build/src/app/ngmediad" "$build/tools/ngmedia-ctl" "$pkg/staged/"
cp "$build/man/ngmediad.8" "$build/man/ngmedia-ctl.8" "$pkg/staged/man/"
cp "$src/packaging/ngmedia-run.conf" "$pkg/staged/ngmedia.conf"
cp "$src/packaging/default-ngmediad" "$pkg/staged/default/ngmediad"

# The debug symbols stay in the build tree; no -dbgsym package.
(cd "$pkg" && DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc --no-pre-clean >"$work/dpkg-buildpackage.log" 2>&1) || {
    cat "$work/dpkg-buildpackage.log" >&2
    exit 1
}
deb=$(ls "$work"/ngmedia_"$version"_*.deb)
cp "$deb" "$out/"
echo "$out/$(basename "$deb")"
