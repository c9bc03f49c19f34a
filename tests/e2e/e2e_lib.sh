# Shared pieces of the Kamailio + sipp end-to-end runners (sourced, not run):
# skip/fail reporting, process clean-up, a run time limit, a free port
# block, readiness probes and a tiny ng client (run_e2e.sh, run_rtpproxy.sh,
# run_baresip.sh).
#
# The sourcing script sets NGMEDIAD, then calls e2e_init NAME LIMIT_SECONDS.

skip() {  # ctest: SKIP_RETURN_CODE 77
    echo "SKIP: $*"
    exit 77
}

# Skips unless the tools are there, the capture exists and we are root.
e2e_require() {
    local missing=() tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if ((${#missing[@]})); then
        skip "${missing[*]} not installed (Debian packages kamailio, sip-tester, python3, tcpdump; scripts/install-deps.sh installs them)"
    fi
    [[ -r "$PCAP" ]] || skip "$PCAP not found (it ships with Debian's sip-tester package)"
    [[ $(id -u) -eq 0 ]] || skip "sipp's play_pcap_audio and tcpdump need raw sockets: run as root"
}

# e2e_init NAME SECONDS: work directory, clean-up on exit, a hard time limit.
e2e_init() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ngmedia-$1.XXXXXX")
    PIDS=()
    FAILED=0
    PASS=0 FAIL=0
    trap e2e_cleanup EXIT
    trap 'echo "FAIL: interrupted (signal or the '"$2"' s limit)"; echo "$PASS passed, $((FAIL + 1)) failed"; FAILED=1; exit 130' INT TERM
    (
        trap 'kill "$nap" 2>/dev/null; exit 0' TERM
        sleep "$2" & nap=$!
        wait "$nap" && { echo "TIMEOUT: run exceeded $2 s" >&2; kill -TERM $$; }
    ) 2>/dev/null &
    PIDS+=($!)
    e2e_write_ng_client
}

stop_pids() {  # TERM, wait up to 2 s, KILL
    local p alive
    for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 20); do
        alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for p in "$@"; do kill -KILL "$p" 2>/dev/null; done
}

e2e_cleanup() {
    stop_pids "${PIDS[@]}"
    wait 2>/dev/null
    if [[ "${E2E_KEEP:-0}" == 1 || $FAILED -ne 0 ]]; then
        echo "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}

# $WORK/ng.py: ng.py PORT COMMAND [KEY=VALUE...] prints the reply as JSON;
# importable (request(port, dict)).
e2e_write_ng_client() {
    cat >"$WORK/ng.py" <<'PY'
import json, os, socket, sys

def enc(v):
    if isinstance(v, int): return b"i%de" % v
    if isinstance(v, str): v = v.encode()
    if isinstance(v, bytes): return b"%d:%s" % (len(v), v)
    if isinstance(v, list): return b"l" + b"".join(enc(x) for x in v) + b"e"
    return b"d" + b"".join(enc(k) + enc(x) for k, x in sorted(v.items())) + b"e"

def dec(b, i=0):
    c = b[i:i+1]
    if c == b"i":
        j = b.index(b"e", i); return int(b[i+1:j]), j + 1
    if c == b"l":
        out, i = [], i + 1
        while b[i:i+1] != b"e":
            x, i = dec(b, i); out.append(x)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while b[i:i+1] != b"e":
            k, i = dec(b, i); x, i = dec(b, i); out[k] = x
        return out, i + 1
    j = b.index(b":", i); n = int(b[i:j])
    return b[j+1:j+1+n].decode("utf-8", "replace"), j + 1 + n

def request(port, msg, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    cookie = os.urandom(6).hex().encode()
    for _ in range(3):
        s.sendto(cookie + b" " + enc(msg), ("127.0.0.1", port))
        try:
            data = s.recv(65535)
        except (socket.timeout, ConnectionRefusedError):
            continue
        if data.startswith(cookie + b" "):
            return dec(data, len(cookie) + 1)[0]
    return None

if __name__ == "__main__":
    msg = {"command": sys.argv[2]}
    msg.update(a.split("=", 1) for a in sys.argv[3:])
    r = request(int(sys.argv[1]), msg)
    if r is None:
        sys.exit(1)
    print(json.dumps(r))
PY
}

# A free block of 256 UDP ports in 10000-19999 (printed), an area the
# ephemeral range, the integration tests, the diff suite and bench/run.sh
# leave alone.
e2e_port_block() {
    python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(10000, 20000 - 256, 16)
    socks = []
    try:
        for p in range(base, base + 256):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base)
    break
PY
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}
udp_port_taken() {
    python3 -c "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
try: s.bind(('127.0.0.1',$1))
except OSError: sys.exit(0)
sys.exit(1)"
}
sip_options() {  # any SIP reply from 127.0.0.1:$1
    python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); s.settimeout(0.5)
lp = s.getsockname()[1]
msg = (f"OPTIONS sip:ping@127.0.0.1:{port} SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP 127.0.0.1:{lp};branch=z9hG4bK-e2e-{lp}\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=e2e\r\n"
       f"To: <sip:ping@127.0.0.1>\r\nCall-ID: e2e-probe-{lp}\r\nCSeq: 1 OPTIONS\r\n"
       "Content-Length: 0\r\n\r\n")
s.sendto(msg.encode(), ("127.0.0.1", port))
try:
    sys.exit(0 if s.recv(65535).startswith(b"SIP/2.0 ") else 1)
except OSError:
    sys.exit(1)
PY
}
show_log() {  # show_log NAME FILE [LINES]
    echo "---- $1 (last ${3:-30} lines) ----"
    tail -n "${3:-30}" "$2" 2>/dev/null | sed 's/^/  /'
}
fatal() {
    echo "FAIL: $1"
    shift
    while (($#)); do show_log "$1" "$2"; shift 2; done
    echo "$PASS passed, $((FAIL + 1)) failed"
    FAILED=1
    exit 1
}
check() {  # check NAME OK-STATUS DETAIL
    if [[ "$2" == 0 ]]; then
        echo "PASS $1${3:+ ($3)}"; PASS=$((PASS + 1))
    else
        echo "FAIL $1${3:+: $3}"; FAIL=$((FAIL + 1))
    fi
}
# successful-call count from sipp's closing statistics table
successful() { grep -E '^ *Successful call' "$1" | tail -n1 | awk -F'|' '{gsub(/ /,"",$3); print $3}'; }
