#!/usr/bin/env bash
# End-to-end calls from real headless browsers through ngmediad (issue 12
# §5): Debian's Chromium driven over the DevTools protocol (playwright-core,
# tests/e2e/browser/chromium.js) and Debian's Firefox ESR driven by its pages
# over the test's HTTP server (tests/e2e/browser/firefox.js), each in the
# cases of tests/e2e/browser/cases.js against plain RTP/AVP endpoints (or a
# second page), audio checked both ways by tone.  See README.md in this
# directory and docs/webrtc.md.
#
#   run_browser.sh chromium|firefox /path/to/ngmediad [case...]
#
# Exit status: 0 all checks passed, 1 a check failed (a browser that is
# installed but cannot start is a failure), 77 skipped (the browser, node or
# playwright-core is missing; the reason is printed), 2 usage.
# E2E_KEEP=1 keeps the work directory (ngmediad and browser logs).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WHICH=${1:-}
NGMEDIAD=${2:-}
shift 2 2>/dev/null || true

if [[ ! "$WHICH" =~ ^(chromium|firefox)$ || -z "$NGMEDIAD" || ! -x "$NGMEDIAD" ]]; then
    echo "usage: $0 chromium|firefox /path/to/ngmediad [case...] (got '$WHICH' '$NGMEDIAD')" >&2
    exit 2
fi

# shellcheck source=e2e_lib.sh
. "$HERE/e2e_lib.sh"

# Fixed ports in 61200-61299, apart for the two browsers (ctest may run them
# side by side): ng, page/signalling HTTP, plain RTP endpoints (4 ports),
# ngmediad's media ports.  The browsers take ephemeral ports of their own.
case "$WHICH" in
chromium)
    BIN=${CHROMIUM:-/usr/bin/chromium} PKG=chromium LIMIT=150
    NG_PORT=61200 HTTP_PORT=61201 PEER_PORT=61202 PORT_MIN=61210 PORT_MAX=61249
    ;;
firefox)
    BIN=${FIREFOX:-/usr/bin/firefox-esr} PKG=firefox-esr LIMIT=150
    NG_PORT=61250 HTTP_PORT=61251 PEER_PORT=61252 PORT_MIN=61260 PORT_MAX=61299
    ;;
esac
[[ -x "$BIN" ]] || skip "$BIN not found (Debian package $PKG; scripts/install-deps.sh installs it)"
command -v node >/dev/null 2>&1 || skip "node not found (Debian packages nodejs, npm; scripts/install-deps.sh installs them)"
if [[ "$WHICH" == chromium && ! -d "$HERE/browser/node_modules/playwright-core" ]]; then
    # .ci/run installs it; try here too (the local npm registry, no browser download).
    (cd "$HERE/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null 2>&1)
    [[ -d "$HERE/browser/node_modules/playwright-core" ]] ||
        skip "playwright-core not installed: run 'npm ci' in tests/e2e/browser (.ci/run does)"
fi

e2e_init "browser-$WHICH" "$LIMIT"
ng() { python3 "$WORK/ng.py" "$NG_PORT" "$@"; }

for p in "$NG_PORT" $(seq "$PEER_PORT" $((PEER_PORT + 3))); do
    udp_port_taken "$p" && fatal "UDP port $p (of this test's 61200-61299) is taken"
done

"$NGMEDIAD" --config-file=none --table=-1 --foreground --log-stderr --log-level=6 \
    --interface=127.0.0.1 --listen-ng="127.0.0.1:$NG_PORT" \
    --port-min="$PORT_MIN" --port-max="$PORT_MAX" --delete-delay=0 \
    >"$WORK/ngmediad.log" 2>&1 &
PIDS+=($!)
wait_for 5 ng ping || fatal "ngmediad does not answer ng ping" ngmediad "$WORK/ngmediad.log"

case "$WHICH" in
chromium)
    CHROMIUM="$BIN" node "$HERE/browser/chromium.js" "$NG_PORT" "$HTTP_PORT" "$PEER_PORT" "$@" &
    ;;
firefox)
    HOME="$WORK" FIREFOX="$BIN" node "$HERE/browser/firefox.js" "$NG_PORT" "$HTTP_PORT" "$PEER_PORT" "$WORK/profile" "$@" &
    ;;
esac
DRIVER=$!
PIDS+=($DRIVER)
wait "$DRIVER"
rc=$?
if ((rc != 0)); then
    FAILED=1
    show_log ngmediad "$WORK/ngmediad.log" 40
    [[ -f "$WORK/firefox.log" ]] && show_log firefox "$WORK/firefox.log" 20
    exit 1
fi
exit 0
