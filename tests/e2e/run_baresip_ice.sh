#!/usr/bin/env bash
# ICE <-> plain RTP with a real baresip (its ice module) through Kamailio and
# ngmediad: run_baresip.sh's ice-rtp and rtp-ice cases.  baresip's ice
# module gathers no host candidate on loopback addresses, so the cases run in
# a network namespace of their own (unshare --net: nothing else on the
# machine sees it, no port can collide) where its loopback device also
# carries a media address outside 127.0.0.0/8; SIP, ng and ctrl_tcp stay on
# that namespace's 127.0.0.1.
#
#   run_baresip_ice.sh /path/to/ngmediad
#
# Exit status as run_baresip.sh's; 77 (skipped, reason printed) without root,
# unshare or ip, or when the namespace cannot be made.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGMEDIAD=${1:-}
ADDR=10.254.77.1
if [[ -z "$NGMEDIAD" || ! -x "$NGMEDIAD" ]]; then
    echo "usage: $0 /path/to/ngmediad (got '${NGMEDIAD}')" >&2
    exit 2
fi
[[ $(id -u) -eq 0 ]] || { echo "SKIP: a network namespace of its own needs root"; exit 77; }
for tool in unshare ip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed (Debian packages util-linux, iproute2)"; exit 77; }
done
if ! unshare --net true 2>/dev/null; then
    echo "SKIP: unshare --net is not permitted here (no CAP_SYS_ADMIN in this container)"
    exit 77
fi
export E2E_MEDIA_ADDR=$ADDR BARESIP_CASES="${BARESIP_CASES:-ice-rtp rtp-ice}"
exec unshare --net bash -c '
    set -e
    ip link set lo up
    ip addr add '"$ADDR"'/32 dev lo
    set +e
    exec bash "$0" "$1"' "$HERE/run_baresip.sh" "$NGMEDIAD"
