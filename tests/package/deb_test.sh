#!/usr/bin/env bash
# package.deb: builds the Debian package from this build tree, checks it with
# lintian, installs it with dpkg -i, starts the installed ngmediad (as the
# package's user, once with /etc/ngmedia/ngmedia.conf and once pointed at
# /etc/rtpengine/rtpengine.conf), pings it over ng, and purges the package.
#   tests/package/deb_test.sh BUILD_DIR
# Needs root (dpkg -i): CI's throwaway machine. Ports 63600-63619 (ng and CLI on
# 63600, HTTP on 63601, media 63602-63619).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
NG_PORT=63600
PORT_MIN=63602
PORT_MAX=63619

if [ "$(id -u)" != 0 ]; then
    echo "package.deb skipped: dpkg -i needs root (CI runs as root)"
    exit 77
fi
fail() { echo "package.deb FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

daemon_pid=
work=$(mktemp -d /tmp/ngm-deb-test.XXXXXX)
cleanup() {
    [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null || true
    if dpkg-query -W -f='${Status}' ngmedia 2>/dev/null | grep -q "ok installed\|config-files"; then
        dpkg --purge ngmedia >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

step "build the package"
start=$(date +%s)
deb=$(bash "$src/packaging/build-deb.sh" "$build" "$work/out" | tail -n 1)
[ -f "$deb" ] || fail "no .deb built"
echo "$deb ($(du -k "$deb" | cut -f1) KiB, $(( $(date +%s) - start )) s)"
dpkg-deb --contents "$deb"

step "lintian"
# Errors fail; warnings fail unless packaging/lintian-accepted.txt lists them.
command -v lintian >/dev/null || fail "lintian is not installed (scripts/install-deps.sh installs it)"
lintian_rc=0
lintian --tag-display-limit 0 --display-info "$deb" >"$work/lintian.txt" 2>&1 || lintian_rc=$?
cat "$work/lintian.txt"
# 1: tags at error level (reported below); anything higher: lintian itself failed.
[ "$lintian_rc" -le 1 ] || fail "lintian exited $lintian_rc"
if grep -q '^E: ' "$work/lintian.txt"; then fail "lintian reports errors"; fi
accepted=$({ grep -v "^#" "$src/packaging/lintian-accepted.txt" || true; } | awk 'NF {print $1}')
while read -r tag; do
    [ -z "$tag" ] && continue
    grep -qx -- "$tag" <<<"$accepted" || fail "lintian warning $tag is not in packaging/lintian-accepted.txt"
done < <(sed -n 's/^W: [^:]*: \([^ ]*\).*/\1/p' "$work/lintian.txt" | sort -u)

step "install"
if dpkg-query -W ngmedia >/dev/null 2>&1; then dpkg --purge ngmedia >/dev/null; fi
dpkg -i "$deb"
for f in /usr/sbin/ngmediad /usr/bin/ngmedia-ctl /etc/ngmedia/ngmedia.conf /etc/default/ngmediad \
         /lib/systemd/system/ngmediad.service /usr/share/man/man8/ngmediad.8.gz \
         /usr/share/man/man8/ngmedia-ctl.8.gz; do
    [ -e "$f" ] || fail "$f is not installed"
done
conffiles=$(dpkg-query -W -f='${Conffiles}' ngmedia)
for f in /etc/ngmedia/ngmedia.conf /etc/default/ngmediad; do
    grep -q " $f " <<<"$conffiles " || fail "$f is not a conffile"
done
getent passwd ngmedia >/dev/null || fail "the user ngmedia was not created"
# The installed man page has every option of the installed daemon's --help.
man_text=$(MANWIDTH=200 man -P cat -l /usr/share/man/man8/ngmediad.8.gz 2>/dev/null)
for opt in $(/usr/sbin/ngmediad --help | grep -o -- '--[a-z0-9-]*' | sort -u); do
    grep -q -- "$opt" <<<"$man_text" || fail "ngmediad(8) does not document $opt"
done
/usr/bin/ngmedia-ctl --help >/dev/null || fail "ngmedia-ctl --help"

if command -v systemd-analyze >/dev/null; then
    step "systemd-analyze verify"
    # Without systemd as PID 1 verify still loads and checks the unit file.
    # Any remark on the unit (unknown keys, a missing binary or man page in
    # Documentation=) fails, as does a non-zero status.
    verify_rc=0
    systemd-analyze verify /lib/systemd/system/ngmediad.service >"$work/verify.txt" 2>&1 || verify_rc=$?
    cat "$work/verify.txt"
    [ "$verify_rc" = 0 ] || fail "systemd-analyze verify exited $verify_rc"
    if grep -q "ngmediad" "$work/verify.txt"; then
        fail "systemd-analyze verify found problems in ngmediad.service"
    fi
else
    echo "systemd-analyze is not installed: the unit file is not verified"
fi

ping_ng() {
    python3 - "$NG_PORT" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for _ in range(40):
    s.sendto(b"deb1 d7:command4:pinge", ("127.0.0.1", int(sys.argv[1])))
    try:
        data = s.recv(1000)
    except socket.timeout:
        continue
    print(data.decode())
    sys.exit(0 if data == b"deb1 d6:result4:ponge" else 1)
sys.exit(1)
PY
}

# Starts the installed daemon as the unit does (user ngmedia, foreground),
# with our ports on the command line, pings it, stops it with SIGTERM.
# setpriv execs the daemon itself, so the signal and the status are its own.
run_installed() {
    local what=$1; shift
    step "start /usr/sbin/ngmediad ($what)"
    setpriv --reuid=ngmedia --regid=ngmedia --init-groups /usr/sbin/ngmediad --foreground --log-stderr --table=-1 "$@" \
        --interface=127.0.0.1 --listen-ng=127.0.0.1:$NG_PORT \
        --port-min=$PORT_MIN --port-max=$PORT_MAX >"$work/daemon.log" 2>&1 &
    daemon_pid=$!
    if ! ping_ng; then
        cat "$work/daemon.log"
        fail "the installed ngmediad ($what) does not answer ping on 127.0.0.1:$NG_PORT"
    fi
    kill -TERM "$daemon_pid"
    local rc=0
    wait "$daemon_pid" || rc=$?
    daemon_pid=
    cat "$work/daemon.log"
    [ "$rc" = 0 ] || fail "ngmediad ($what) exited $rc on SIGTERM"
}
run_installed "/etc/ngmedia/ngmedia.conf" --config-file=/etc/ngmedia/ngmedia.conf --config-section=ngmedia \
    --listen-tcp-ng=127.0.0.1:$NG_PORT
if [ -f /etc/rtpengine/rtpengine.conf ]; then
    run_installed "/etc/rtpengine/rtpengine.conf" --config-file=/etc/rtpengine/rtpengine.conf \
        --config-section=rtpengine --listen-http=127.0.0.1:63601 --listen-cli=127.0.0.1:$NG_PORT
else
    echo "/etc/rtpengine/rtpengine.conf is absent (rtpengine-daemon not installed): that start is not tried"
fi

step "purge"
dpkg --purge ngmedia
for f in /usr/sbin/ngmediad /usr/bin/ngmedia-ctl /etc/ngmedia/ngmedia.conf /lib/systemd/system/ngmediad.service; do
    [ ! -e "$f" ] || fail "$f is still there after dpkg --purge"
done
echo "package.deb passed in $(( $(date +%s) - start )) s"
