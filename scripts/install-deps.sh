#!/usr/bin/env bash
# Installs the Debian packages ngmedia builds and tests with. Idempotent and
# quiet when everything is already there.
set -euo pipefail
PKGS=(cmake ninja-build g++ clang libclang-rt-14-dev libbpf-dev bpftool ccache libgtest-dev liburing-dev libsrtp2-dev libssl-dev openssl libwebsockets-dev libnice-dev pkg-config python3 iproute2 nftables procps
      rtpengine-daemon rtpengine-utils kamailio sip-tester tcpdump baresip baresip-core
      prometheus  # prometheus: promtool, which checks /metrics in the tests
      chromium firefox-esr nodejs  # the browser end-to-end tests (tests/e2e/run_browser.sh)
      adduser debhelper lintian man-db)  # make deb and its test (package.deb)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# playwright-core (tests/e2e/browser/package-lock.json) drives the system
# Chromium over the DevTools protocol; it downloads no browser of its own.
browser_node_modules() {
    local dir
    dir="$(cd "$(dirname "$0")/.." && pwd)/tests/e2e/browser"
    [ -d "$dir/node_modules/playwright-core" ] && return 0
    # Debian's nodejs comes without npm (a nodejs that bundles it conflicts with Debian's npm).
    if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
    fi
    echo "install-deps: npm ci in tests/e2e/browser"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
}
if [ ${#missing[@]} -eq 0 ]; then
    browser_node_modules
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's rtpengine is only the test oracle: keep its service from starting.
created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created=1
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ "$created" = 1 ] && rm -f /usr/sbin/policy-rc.d
browser_node_modules
exit 0
