#!/usr/bin/env python3
"""Differential SDP test suite: ngmediad vs. rtpengine golden replies.

See README.md in this directory for the file formats and the normalisation
rules.  Usage:

  run_diff.py --ngmediad PATH [--rtpengine /usr/bin/rtpengine] [--record]
              [--only NAME[,NAME...]] [--verbose] [--include-later]
"""

import argparse
import difflib
import fnmatch
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO_DIR = os.path.join(HERE, "scenarios")
GOLDEN_DIR = os.path.join(HERE, "golden")
GROUPS_FILE = os.path.join(HERE, "groups.json")

# Options every daemon gets (in addition to the group's options and the
# per-instance --port-min/--port-max/--listen-ng chosen below).
COMMON_OPTIONS = [
    "--config-file=none",
    "--table=-1",
    "--foreground",
    "--log-stderr",
    "--num-threads=1",
]

# Media port blocks handed to daemon instances.  All inside 41000-49999 and
# chosen so that no block contains a number that commonly appears in SDP
# bodies (44100 and 48000 Hz clock rates), because every number inside the
# block is treated as an allocated port by the normaliser.
# Integration tests running beside this suite keep their sockets out of
# 41000-49999 (kDiffPortFirst/kDiffPortLast in tests/integration/ng_client.h);
# keep the blocks inside that range.
PORT_BLOCKS = [(41000, 41999), (42000, 42999), (43000, 43999),
               (45000, 45999), (46000, 46999), (47000, 47999),
               (48100, 48999), (49000, 49999)]
BLOCKS_IN_USE = set()

# Reply keys that are compared.  Everything else (stats, timestamps, tags
# dumps of delete/query) is ignored unless a request asks for extra paths.
COMPARED_KEYS = ("result", "sdp", "error-reason", "warning")

REQUEST_TIMEOUT = 3.0


# ---------------------------------------------------------------- bencode --

def bencode(x):
    if isinstance(x, bool):
        raise TypeError("booleans cannot be bencoded")
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode("utf-8")
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, list):
        return b"l" + b"".join(bencode(i) for i in x) + b"e"
    if isinstance(x, dict):
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in x.items()) + b"e"
    raise TypeError("cannot bencode %r" % (x,))


def bdecode(s, i=0):
    c = s[i:i + 1]
    if c == b"i":
        j = s.index(b"e", i)
        return int(s[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while s[i:i + 1] != b"e":
            v, i = bdecode(s, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while s[i:i + 1] != b"e":
            k, i = bdecode(s, i)
            v, i = bdecode(s, i)
            out[k] = v
        return out, i + 1
    j = s.index(b":", i)
    n = int(s[i:j])
    return s[j + 1:j + 1 + n].decode("utf-8", errors="backslashreplace"), j + 1 + n


# ---------------------------------------------------------------- SDP form --

def sdp_to_wire(v):
    """Scenario/golden SDP: a list of lines means CRLF-terminated lines."""
    if isinstance(v, list):
        return "".join(line + "\r\n" for line in v)
    return v


def sdp_to_file(s):
    """Inverse of sdp_to_wire: list of lines when the body is plain CRLF lines."""
    if not isinstance(s, str) or not s.endswith("\r\n"):
        return s
    lines = s[:-2].split("\r\n")
    if any("\r" in l or "\n" in l for l in lines):
        return s
    return lines


# ---------------------------------------------------------------- normalise --

class Normaliser:
    """Replaces daemon-chosen values by stable placeholders.

    One instance per (scenario, daemon): the same value seen twice in a
    scenario maps to the same placeholder, numbered by first appearance."""

    def __init__(self, port_min, port_max, input_numbers, anonymous_ports=False):
        self.port_min = port_min
        self.port_max = port_max
        self.input_numbers = input_numbers
        # Every port as plain {PORT}, for scenarios where a port's address
        # cannot be told from the SDP (see README, "anonymous_ports").
        self.anonymous_ports = anonymous_ports
        self.maps = {}

    def ph(self, kind, value):
        m = self.maps.setdefault(kind, {})
        if value not in m:
            m[value] = "{%s%d}" % (kind, len(m) + 1)
        return m[value]

    def reverse(self, placeholder):
        for m in self.maps.values():
            for value, ph in m.items():
                if ph == placeholder:
                    return str(value[1] if isinstance(value, tuple) else value)
        return placeholder

    def is_port(self, n):
        return self.port_min <= n <= self.port_max and str(n) not in self.input_numbers

    def text(self, s):
        if "\n" in s and s.startswith("v="):
            return self.sdp(s)
        return self.line(s, "")

    def sdp(self, s):
        """SDP-aware pass.  Ports are keyed by (connection address, number):
        rtpengine keeps one port pool per local address, so two different
        sockets on two addresses (or families) can carry the same number,
        and that coincidence must not leak into the placeholders.  A zero
        address (hold) re-uses the key the port number already has."""
        parts = re.split(r"(\r?\n)", s)
        lines = parts[0::2]
        seps = parts[1::2] + [""]
        addr = [""] * len(lines)
        sess_addr = ""
        sections = []
        cur = [None, []]   # [media-level c= address, line indexes]
        for i, l in enumerate(lines):
            if l.startswith("m="):
                sections.append(cur)
                cur = [None, []]
            m = re.match(r"c=IN IP[46] (\S+)", l)
            if m:
                if not sections:
                    sess_addr = m.group(1)
                else:
                    cur[0] = m.group(1)
            cur[1].append(i)
        sections.append(cur)
        for n, (maddr, idxs) in enumerate(sections):
            for i in idxs:
                addr[i] = (maddr or sess_addr) if n > 0 else sess_addr
        out = []
        for i, l in enumerate(lines):
            a = addr[i]
            m = re.match(r"a=rtcp:\d+ IN IP[46] (\S+)", l)
            if m:
                a = m.group(1)
            m = re.match(r"a=candidate:\S+ \d+ \S+ \d+ (\S+) ", l)
            if m:
                a = m.group(1)
            out.append(self.line(l, a) + seps[i])
        return "".join(out)

    def port_ph(self, addr, n):
        if self.anonymous_ports:
            return "{PORT}"
        m = self.maps.setdefault("PORT", {})
        if addr in ("0.0.0.0", "::", ""):
            # A zero address (hold) hides which socket the number belongs to:
            # take the key it already has in the zero address's family (an
            # IPv4 and an IPv6 pool may hand out the same number; rtpengine
            # writes the zero address in the family of the socket).
            for key in m:
                if key[1] == n and (not addr or (":" in key[0]) == (addr == "::")):
                    return m[key]
        return self.ph("PORT", (addr, n))

    def line(self, s, addr):
        # random tokens first (they could contain digit runs)
        s = re.sub(r"(a=rtpengine:)(\S+)", lambda m: m.group(1) + self.ph("LOOP", m.group(2)), s)
        s = re.sub(r"(a=ice-ufrag:)(\S+)", lambda m: m.group(1) + self.ph("UFRAG", m.group(2)), s)
        s = re.sub(r"(a=ice-pwd:)(\S+)", lambda m: m.group(1) + self.ph("PWD", m.group(2)), s)
        s = re.sub(r"(a=candidate:)(\S+)", lambda m: m.group(1) + self.ph("FOUND", m.group(2)), s)
        s = re.sub(r"(a=fingerprint:\S+ )(\S+)", lambda m: m.group(1) + self.ph("FP", m.group(2)), s)
        s = re.sub(r"(a=tls-id:)(\S+)", lambda m: m.group(1) + self.ph("TLSID", m.group(2)), s)
        s = re.sub(r"(inline:)([^|\s]+)", lambda m: m.group(1) + self.ph("KEY", m.group(2)), s)

        # allocated ports: any free-standing number inside the daemon's range
        def port(m):
            n = int(m.group(0))
            return self.port_ph(addr, n) if self.is_port(n) else m.group(0)
        return re.sub(r"(?<![\w.{])\d{4,5}(?![\w{}])", port, s)

    def value(self, v, key=""):
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, bool):
            return v
        if isinstance(v, int):
            if "port" in key and self.is_port(v):
                return self.port_ph("", v)
            return v
        if isinstance(v, list):
            return [self.value(x, key) for x in v]
        if isinstance(v, dict):
            return {k: self.value(x, k) for k, x in v.items()}
        return v


def extract_path(obj, path):
    """Dotted path with '*' wildcards over dict values / list items."""
    parts = path.split(".")

    def walk(o, ps):
        if not ps:
            return o
        p, rest = ps[0], ps[1:]
        if p == "*":
            if isinstance(o, dict):
                return {k: walk(v, rest) for k, v in sorted(o.items())}
            if isinstance(o, list):
                return [walk(v, rest) for v in o]
            return None
        if isinstance(o, dict):
            return walk(o.get(p), rest) if p in o else None
        if isinstance(o, list) and p.isdigit() and int(p) < len(o):
            return walk(o[int(p)], rest)
        return None

    return walk(obj, parts)


def normalise_reply(reply, norm, extra_paths):
    if not isinstance(reply, dict):
        return {"_invalid_reply": norm.value(reply)}
    out = {}
    for k in COMPARED_KEYS:
        if k in reply:
            v = norm.value(reply[k], k)
            out[k] = sdp_to_file(v) if k == "sdp" else v
    if extra_paths:
        out["extra"] = {p: norm.value(extract_path(reply, p)) for p in extra_paths}
    return out


# ------------------------------------------------------- whole replies --
#
# For these commands (and for any request with "_full": true) the WHOLE
# reply is compared, not only COMPARED_KEYS: every key, the structure and
# every value.  Values that depend on time, load or the port allocator are
# replaced by the rule named in REPLY_NORMALISATION; everything else must be
# identical.  Keys where ngmediad deliberately differs are listed, with the
# reason, in ALLOWED_DIFFERENCES.  Both tables are documented in README.md
# ("Whole replies of query, list and statistics").
FULL_REPLY_COMMANDS = ("query", "list", "statistics")

# (path, rule, why).  A path is dotted reply keys; each part is matched with
# fnmatch, so "*" is any one key (or list index) and "*delay" any key ending
# in "delay".  The first matching row wins.  A value that does not fit its
# rule (say a "time" of 0, or an int where a string is due) is left as it
# is, so the difference shows.
REPLY_NORMALISATION = [
    # query (and delete with "_full")
    ("created", "time", "UNIX time of the call's creation"),
    ("created_us", "usec", "microseconds part of the creation time"),
    ("last signal", "time", "UNIX time of the last offer/answer"),
    ("last redis update", "time", "UNIX time (Redis)"),
    ("tags.*.created", "time", "UNIX time the tag was first seen"),
    ("tags.*.medias.*.streams.*.last packet", "time",
     "UNIX time of the last packet (set to the creation time until media flows)"),
    # statistics
    ("statistics.totalstatistics.uptime", "decimal", "seconds since start"),
    ("statistics.totalstatistics.*callduration*", "seconds6",
     "call durations (sum, sum of squares, mean, stddev)"),
    ("statistics.totalstatistics.totalcallsduration*", "seconds6", "call durations"),
    ("statistics.intervalstatistics.*", "type",
     "figures of the current statistics interval (rtpengine computes them once "
     "per --graphite-interval): timing and load"),
    ("statistics.controlstatistics.proxies.*.*duration", "seconds6",
     "time spent processing each command"),
    ("statistics.interfaces.*.ports", "port-range",
     "min/max are the runner's --port-min/--port-max, whose block is chosen at random "
     "(and totals, free, used_pct follow from its size); last is the allocator's "
     "cursor (implementation-defined); used stays exact"),
    # list
    ("calls", "call-set", "list order is hash-table order in rtpengine; with a "
     "limit below the number of calls, which calls come is implementation-defined"),
]

# (commands, path, rtpengine's value, ngmediad's value, why): where ngmediad
# deliberately shows another value than rtpengine.  Only that exact pair of
# values is accepted at that path (wildcards as above), and only when
# comparing ngmediad; rtpengine's own replies are always compared in full
# (drift check).
ALLOWED_DIFFERENCES = [
    (("query", "delete"), "tags.*.medias.*.streams.1.advertised endpoint.port", 1, 0,
     "RTCP port of a rejected (port 0) media: rtpengine computes 0 + 1; ngmediad keeps 0, "
     "which its packet path reads as 'send nothing'"),
    (("query", "delete"), "tags.*.medias.*.streams.1.endpoint.port", 1, 0,
     "as above, for the RTCP endpoint of a rejected media"),
]


def _path_match(pattern, path):
    pp = pattern.split(".")
    return len(pp) == len(path) and all(
        fnmatch.fnmatchcase(str(p), q) for p, q in zip(path, pp))


class ReplyRules:
    """Applies REPLY_NORMALISATION to one whole reply."""

    def __init__(self, norm, request, scenario_calls):
        self.norm = norm
        self.request = request
        self.scenario_calls = scenario_calls
        self.now = time.time()

    def rule_for(self, path):
        for pattern, rule, _why in REPLY_NORMALISATION:
            if _path_match(pattern, path):
                return rule
        return None

    def apply(self, rule, v):
        n = self.norm
        if rule == "time":
            ok = isinstance(v, int) and not isinstance(v, bool) and abs(v - self.now) < 86400
            return "<time>" if ok else v
        if rule == "usec":
            return "<usec>" if isinstance(v, int) and 0 <= v < 1000000 else v
        if rule == "decimal":
            return "<decimal>" if isinstance(v, str) and re.fullmatch(r"\d+", v) else v
        if rule == "seconds6":
            return "<seconds>" if isinstance(v, str) and re.fullmatch(r"\d+\.\d{6}", v) else v
        if rule == "type":
            if isinstance(v, str):
                return "<str:%s>" % ("int" if re.fullmatch(r"-?\d+", v)
                                     else "float6" if re.fullmatch(r"-?\d+\.\d{6}", v)
                                     else "other")
            return "<%s>" % type(v).__name__
        if rule == "port-range":
            if not isinstance(v, dict):
                return v
            out = dict(v)
            size = n.port_max - n.port_min + 1
            used = v.get("used")
            if v.get("min") == n.port_min:
                out["min"] = "<port-min>"
            if v.get("max") == n.port_max:
                out["max"] = "<port-max>"
            if v.get("totals") == size:
                out["totals"] = "<size of the range>"
            if isinstance(used, int) and v.get("free") == size - used:
                out["free"] = "<size - used>"
            if isinstance(used, int) and v.get("used_pct") == "%.2f" % (used * 100.0 / size):
                out["used_pct"] = "<used * 100 / size, %.2f>"
            last = v.get("last")
            if isinstance(last, int) and n.port_min <= last <= n.port_max:
                out["last"] = "<port>"
            return out
        if rule == "call-set":
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                return v
            limit = self.request.get("limit")
            if isinstance(limit, str) and re.fullmatch(r"\d+", limit):
                limit = int(limit)
            if isinstance(limit, int) and len(v) == limit and len(set(v)) == len(v):
                # Which calls a limit lets through differs; that they are
                # distinct calls of this scenario (and how many) must not.
                return sorted("<call of this scenario>" if x in self.scenario_calls else x
                              for x in v)
            return sorted(v)
        raise ValueError("unknown normalisation rule %r" % rule)

    def walk(self, v, path=()):
        if path:
            rule = self.rule_for(path)
            if rule:
                return self.apply(rule, v)
        if isinstance(v, dict):
            return {k: self.walk(x, path + (k,)) for k, x in v.items()}
        if isinstance(v, list):
            return [self.walk(x, path + (str(i),)) for i, x in enumerate(v)]
        return self.norm.value(v, str(path[-1]) if path else "")


def full_reply_wanted(req):
    return req.get("_full", req.get("command") in FULL_REPLY_COMMANDS)


def normalise_full_reply(reply, norm, req, scenario_calls):
    out = ReplyRules(norm, req, scenario_calls).walk(reply)
    if "sdp" in out:
        out["sdp"] = sdp_to_file(out["sdp"])
    return out


def accept_allowed(expected, actual, command):
    """A copy of ngmediad's whole reply `actual` where each value that
    ALLOWED_DIFFERENCES lets differ from `expected` is set to the expected one."""
    if not isinstance(actual, dict) or not isinstance(expected, dict):
        return actual
    out = json.loads(json.dumps(actual))
    for cmds, path, rtpe_value, ngm_value, _why in ALLOWED_DIFFERENCES:
        if command not in cmds:
            continue
        parts = path.split(".")

        def walk(e, a, i):
            if isinstance(a, dict) and isinstance(e, dict):
                keys = [k for k in a if k in e and fnmatch.fnmatchcase(k, parts[i])]
            elif isinstance(a, list) and isinstance(e, list):
                keys = [j for j in range(min(len(a), len(e)))
                        if fnmatch.fnmatchcase(str(j), parts[i])]
            else:
                return
            for k in keys:
                if i + 1 < len(parts):
                    walk(e[k], a[k], i + 1)
                elif a[k] == ngm_value and e[k] == rtpe_value:
                    a[k] = e[k]
        walk(expected, out, 0)
    return out


def with_allowed(actual, expected, sc):
    """ngmediad's replies with ALLOWED_DIFFERENCES accepted."""
    out = []
    for i, r in enumerate(actual):
        req = sc["requests"][i] if i < len(sc["requests"]) else {}
        e = expected[i] if i < len(expected) else None
        out.append(accept_allowed(e, r, req.get("command")) if full_reply_wanted(req) else r)
    return out


def flatten(v, prefix=""):
    """{dotted path: leaf} for a readable diff of two whole replies."""
    if isinstance(v, dict) and v:
        out = {}
        for k, x in v.items():
            out.update(flatten(x, "%s.%s" % (prefix, k) if prefix else k))
        return out
    if isinstance(v, list) and v:
        out = {}
        for i, x in enumerate(v):
            out.update(flatten(x, "%s.%d" % (prefix, i)))
        return out
    return {prefix: v}


def describe_full_diff(expected, actual, limit=40):
    fe, fa = flatten(expected), flatten(actual)
    out = []
    for p in sorted(set(fe) | set(fa)):
        if p in fe and p in fa:
            if fe[p] != fa[p]:
                out.append("      %s: expected %s, got %s" % (p, json.dumps(fe[p]), json.dumps(fa[p])))
        elif p in fe:
            out.append("      %s: missing (expected %s)" % (p, json.dumps(fe[p])))
        else:
            out.append("      %s: unexpected (got %s)" % (p, json.dumps(fa[p])))
    if len(out) > limit:
        out = out[:limit] + ["      ... %d more" % (len(out) - limit)]
    return out


# ---------------------------------------------------------------- daemons --

def bound_udp_socket():
    """A UDP socket on 127.0.0.1, bound to a kernel-chosen port outside the
    port blocks above and the integration tests' media ports (50000-59999),
    which the kernel's ephemeral range overlaps: a socket there would take a
    port a daemon is about to allocate (in the "dual" group, where IPv4 and
    IPv6 ports are numbered together, a skipped port changes the numbering)."""
    held = []
    try:
        for _ in range(64):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            if not 41000 <= s.getsockname()[1] <= 59999:
                return s
            held.append(s)  # keep it, so the next bind gets another port
        return held.pop()
    finally:
        for s in held:
            s.close()


def udp_port_bound(port):
    """Whether some socket is bound to UDP 127.0.0.1:port (or the wildcard);
    None when /proc/net/udp cannot tell."""
    try:
        with open("/proc/net/udp") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return None
    want = {"0100007F:%04X" % port, "00000000:%04X" % port}
    return any(r.split()[1] in want for r in rows if len(r.split()) > 1)


def free_udp_port():
    s = bound_udp_socket()
    p = s.getsockname()[1]
    s.close()
    return p


class Daemon:
    def __init__(self, label, binary, options, logdir, verbose, avoid=()):
        # avoid: numbers of the SDPs this daemon will see; its port block
        # holds none of them, or the normaliser could not tell a port from
        # an input number (profile-level-id=42001f once met block 42000).
        self.avoid = [int(n) for n in avoid if n.isdigit() and len(n) <= 5]
        self.label = label
        self.binary = binary
        self.options = options
        self.logdir = logdir
        self.verbose = verbose
        self.proc = None

    def start(self):
        # Daemons alive together (a group's shared one and an isolated one)
        # never share a block: one would hold the ports the other needs.
        free = [b for b in PORT_BLOCKS if b not in BLOCKS_IN_USE]
        clean = [b for b in free if not any(b[0] <= n <= b[1] for n in self.avoid)]
        lo, hi = random.choice(clean or free)
        BLOCKS_IN_USE.add((lo, hi))
        self.block = (lo, hi)
        self.port_min, self.port_max = lo, hi
        last_err = None
        for _attempt in range(2):
            BLOCKS_IN_USE.add((lo, hi))  # again after a failed attempt's stop()
            self.ng_port = free_udp_port()
            args = [self.binary] + COMMON_OPTIONS + list(self.options) + [
                "--port-min=%d" % lo, "--port-max=%d" % hi,
                "--listen-ng=127.0.0.1:%d" % self.ng_port]
            self.logpath = os.path.join(self.logdir, "%s-%d.log" % (self.label, self.ng_port))
            self.log = open(self.logpath, "wb")
            if self.verbose:
                print("  [%s] starting: %s" % (self.label, " ".join(args)))
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.time() + 10
            # One ping once the ng socket is bound, so the statistics of a
            # fresh daemon count exactly one (a ping sent before the bind is
            # lost; one answered late would be sent again).
            while time.time() < deadline and self.proc.poll() is None:
                bound = udp_port_bound(self.ng_port)
                if bound is None:
                    break
                if bound:
                    try:
                        r = self.request({"command": "ping"}, timeout=5)
                        if isinstance(r, dict) and r.get("result") == "pong":
                            return
                    except (socket.timeout, OSError, ValueError):
                        pass
                    break
                time.sleep(0.02)
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    r = self.request({"command": "ping"}, timeout=0.3)
                    if isinstance(r, dict) and r.get("result") == "pong":
                        return
                except (socket.timeout, OSError, ValueError):
                    pass
                time.sleep(0.05)
            self.stop()
            try:
                with open(self.logpath, "rb") as f:
                    tail = f.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            except OSError:
                tail = []
            last_err = "daemon %s did not answer ping (log: %s)%s" % (
                self.label, self.logpath, "".join("\n      | " + l for l in tail))
        raise RuntimeError(last_err)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        try:
            self._stop()
        finally:
            BLOCKS_IN_USE.discard(getattr(self, "block", None))

    def _stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def send_raw(self, payload, timeout=REQUEST_TIMEOUT):
        s = bound_udp_socket()
        s.settimeout(timeout)
        try:
            cookie = b"%d_%d" % (os.getpid(), random.randint(0, 1 << 30))
            s.sendto(cookie + b" " + payload, ("127.0.0.1", self.ng_port))
            data = s.recv(1 << 17)
        finally:
            s.close()
        if not data.startswith(cookie + b" "):
            raise ValueError("reply cookie mismatch: %r" % data[:60])
        return data[len(cookie) + 1:]

    def request(self, d, timeout=REQUEST_TIMEOUT):
        data = self.send_raw(bencode(d), timeout)
        return bdecode(data)[0]


# ---------------------------------------------------------------- scenarios --

def load_json(path):
    with open(path) as f:
        return json.load(f)


def load_scenarios():
    out = {}
    for fn in sorted(os.listdir(SCENARIO_DIR)):
        if fn.endswith(".json"):
            sc = load_json(os.path.join(SCENARIO_DIR, fn))
            sc["name"] = fn[:-5]
            out[sc["name"]] = sc
    return out


PLACEHOLDER_RE = re.compile(r"\{([A-Z]+)(\d+)\}")


def build_request(req, norm):
    """Scenario request -> (wire payload bytes, extra compare paths).

    Placeholders such as {LOOP1} or {PORT3} inside the request's SDP are
    replaced by the real value the daemon produced earlier in the scenario
    (e.g. to send back rtpengine's own loop-protect token)."""
    extra = req.get("_extra", [])
    if "_raw" in req:
        return req["_raw"].encode("utf-8"), extra
    d = {}
    for k, v in req.items():
        if k.startswith("_"):
            continue
        if k == "sdp":
            v = sdp_to_wire(v)
            if isinstance(v, str):
                v = PLACEHOLDER_RE.sub(lambda m: norm.reverse(m.group(0)), v)
        d[k] = v
    return bencode(d), extra


def input_numbers(sc):
    nums = set()
    for req in sc["requests"]:
        for k, v in req.items():
            if k == "sdp" or k == "_raw":
                nums.update(re.findall(r"\d+", sdp_to_wire(v) if isinstance(v, (str, list)) else ""))
    return nums


def run_scenario(daemon, sc):
    norm = Normaliser(daemon.port_min, daemon.port_max, input_numbers(sc), bool(sc.get("anonymous_ports")))
    calls = {r["call-id"] for r in sc["requests"] if isinstance(r.get("call-id"), str)}
    replies = []
    for req in sc["requests"]:
        payload, extra = build_request(req, norm)
        try:
            raw = daemon.send_raw(payload)
            try:
                reply = bdecode(raw)[0]
            except Exception:
                reply = {"_undecodable_reply": raw.decode("utf-8", "backslashreplace")}
        except (socket.timeout, OSError) as e:
            if not daemon.alive():
                replies.append({"_daemon_died": "daemon exited (log: %s)" % daemon.logpath})
                break
            reply = {"_no_reply": str(e) or e.__class__.__name__}
        if isinstance(reply, dict) and ("_no_reply" in reply or "_undecodable_reply" in reply):
            replies.append(reply)
            continue
        if isinstance(reply, dict) and full_reply_wanted(req):
            replies.append(normalise_full_reply(reply, norm, req, calls))
        else:
            replies.append(normalise_reply(reply, norm, extra))
    return replies


def release_calls(daemon, sc):
    """Deletes a scenario's calls at once (after its replies were taken), so
    that a group's daemon does not run out of its media port block: the
    scenarios of a group share one daemon and their calls would otherwise
    stay up until the run ends.  Nothing here is compared."""
    for cid in sorted({r["call-id"] for r in sc["requests"] if isinstance(r.get("call-id"), str)}):
        try:
            daemon.request({"command": "delete", "call-id": cid, "delete delay": 0}, timeout=1)
        except (socket.timeout, OSError, ValueError):
            pass


def sdp_lines(v):
    if v is None:
        return []
    if isinstance(v, list):
        return v
    return v.split("\n")


def describe_diff(label, expected, actual, requests=()):
    """Human readable diff of two normalised reply lists."""
    out = []
    def what(i):
        if i < len(requests):
            r = requests[i]
            if "_raw" in r:
                return "raw datagram"
            return "%s %s" % (r.get("command"), r.get("call-id", ""))
        return "?"
    for i in range(max(len(expected), len(actual))):
        e = expected[i] if i < len(expected) else None
        a = actual[i] if i < len(actual) else None
        if e == a:
            continue
        out.append("    reply #%d (%s) differs (%s):" % (i + 1, what(i), label))
        if e is None or a is None:
            out.append("      expected: %s" % json.dumps(e))
            out.append("      actual:   %s" % json.dumps(a))
            continue
        keys = sorted(set(e) | set(a), key=lambda k: (k == "sdp", k))
        for k in keys:
            if e.get(k) == a.get(k):
                continue
            if k == "sdp":
                diff = difflib.unified_diff(sdp_lines(e.get(k)), sdp_lines(a.get(k)),
                                            "golden", label, lineterm="")
                out.extend("      " + l for l in diff)
            elif isinstance(e.get(k), (dict, list)) or isinstance(a.get(k), (dict, list)):
                out.extend(describe_full_diff({k: e[k]} if k in e else {},
                                              {k: a[k]} if k in a else {}))
            else:
                out.append("      %s: expected %s, got %s" % (k, json.dumps(e.get(k)),
                                                             json.dumps(a.get(k))))
    return "\n".join(out)


def golden_path(name):
    return os.path.join(GOLDEN_DIR, name + ".json")


def write_golden(sc, replies, version):
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    doc = {"scenario": sc["name"], "group": sc["group"], "recorded_with": version,
           "replies": replies}
    with open(golden_path(sc["name"]), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def rtpengine_version(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=10)
        return (out.stdout + out.stderr).strip().replace("Version: ", "rtpengine ")
    except Exception:
        return "rtpengine (unknown version)"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ngmediad", help="path to the ngmediad binary")
    ap.add_argument("--rtpengine", default="/usr/bin/rtpengine",
                    help="reference daemon (default /usr/bin/rtpengine); used for --record "
                         "and the drift check when it exists")
    ap.add_argument("--record", action="store_true",
                    help="(re)write golden files from rtpengine's replies")
    ap.add_argument("--only", action="append", default=[],
                    help="run only these scenarios (comma separated or repeated)")
    ap.add_argument("--record-deliberate", action="store_true",
                    help="write ngmediad's replies as the expected output of scenarios "
                         "marked 'deliberate' (review them before committing)")
    ap.add_argument("--include-later", action="store_true",
                    help="also compare ngmediad on scenarios marked 'later'")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()

    groups = load_json(GROUPS_FILE)
    scenarios = load_scenarios()
    if args.only:
        wanted = [n for o in args.only for n in o.split(",") if n]
        unknown = [n for n in wanted if n not in scenarios]
        if unknown:
            print("unknown scenario(s): %s" % ", ".join(unknown))
            return 2
        scenarios = {n: scenarios[n] for n in wanted}

    # sanity: unique call-ids per group, known groups
    seen = {}
    for sc in scenarios.values():
        if sc["group"] not in groups:
            print("%s: unknown group %r" % (sc["name"], sc["group"]))
            return 2
        for req in sc["requests"]:
            cid = req.get("call-id")
            if isinstance(cid, str):
                owner = seen.setdefault((sc["group"], cid), sc["name"])
                if owner != sc["name"]:
                    print("call-id %r used by both %s and %s" % (cid, owner, sc["name"]))
                    return 2

    have_rtpe = bool(args.rtpengine) and os.path.exists(args.rtpengine)
    have_ngm = bool(args.ngmediad) and os.path.exists(args.ngmediad)
    if args.record and not have_rtpe:
        print("--record needs rtpengine (%s not found)" % args.rtpengine)
        return 2
    if args.ngmediad and not have_ngm:
        print("note: ngmediad %s not found; running only the rtpengine-vs-golden check"
              % args.ngmediad)
    if not have_rtpe and not have_ngm:
        print("neither rtpengine nor ngmediad available; nothing to run")
        print("0 passed, 0 failed, %d skipped" % len(scenarios))
        return 0
    if args.record:
        have_ngm = False
    version = rtpengine_version(args.rtpengine) if have_rtpe else None

    logdir = tempfile.mkdtemp(prefix="ngm-diff-")
    results = {}   # name -> dict(label -> replies)

    def run_group_with(label, binary):
        by_group = {}
        for sc in scenarios.values():
            by_group.setdefault(sc["group"], []).append(sc)
        for gname in sorted(by_group):
            opts = groups[gname]["options"]
            shared = None
            group_numbers = set()
            for sc in by_group[gname]:
                if not sc.get("isolated"):
                    group_numbers |= input_numbers(sc)
            try:
                for sc in by_group[gname]:
                    if sc.get("isolated"):
                        d = Daemon(label, binary, opts, logdir, args.verbose, input_numbers(sc))
                        d.start()
                        try:
                            results.setdefault(sc["name"], {})[label] = run_scenario(d, sc)
                        finally:
                            d.stop()
                        continue
                    if shared is None or not shared.alive():
                        if shared is not None:
                            print("  [%s] daemon for group %s died; restarted (log %s)"
                                  % (label, gname, shared.logpath))
                            shared.stop()
                        shared = Daemon(label, binary, opts, logdir, args.verbose, group_numbers)
                        shared.start()
                    results.setdefault(sc["name"], {})[label] = run_scenario(shared, sc)
                    release_calls(shared, sc)
            except RuntimeError as e:
                print("  [%s] group %s: %s" % (label, gname, e))
                for sc in by_group[gname]:
                    results.setdefault(sc["name"], {}).setdefault(
                        label, [{"_daemon_failed": str(e)}])
            finally:
                if shared is not None:
                    shared.stop()

    if have_rtpe:
        run_group_with("rtpengine", args.rtpengine)
    if have_ngm:
        run_group_with("ngmediad", args.ngmediad)

    passed = failed = skipped = deliberate = 0
    for name in sorted(scenarios):
        sc = scenarios[name]
        res = results.get(name, {})
        if args.record:
            bad = [r for r in res.get("rtpengine", [{}]) if any(k.startswith("_") for k in r)]
            if bad or not res.get("rtpengine"):
                print("FAIL %s: not recorded, rtpengine did not reply properly: %s"
                      % (name, json.dumps(bad[:1])))
                failed += 1
                continue
            write_golden(sc, res["rtpengine"], version)
            print("RECORDED %s" % name)
            passed += 1
            continue
        gp = golden_path(name)
        if not os.path.exists(gp):
            print("FAIL %s: no golden file (run with --record)" % name)
            failed += 1
            continue
        golden = load_json(gp)["replies"]
        problems = []
        notes = []
        if have_rtpe:
            if res.get("rtpengine") != golden:
                problems.append("DRIFT: rtpengine no longer matches the golden file\n"
                                + describe_diff("rtpengine", golden, res.get("rtpengine", []),
                                              sc["requests"]))
            else:
                notes.append("rtpengine ok")
        ngm_skipped = None
        if have_ngm:
            # A scenario where ngmedia deliberately differs carries the reason
            # in "deliberate" and ngmediad's own expected replies in
            # golden/deliberate/<name>.json (written with --record-deliberate).
            expected = golden
            if sc.get("deliberate"):
                dp = os.path.join(os.path.dirname(gp), "deliberate", name + ".json")
                if args.record_deliberate:
                    os.makedirs(os.path.dirname(dp), exist_ok=True)
                    with open(dp, "w") as fh:
                        json.dump({"scenario": name, "reason": sc["deliberate"],
                                   "replies": res.get("ngmediad", [])}, fh, indent=1)
                        fh.write("\n")
                expected = load_json(dp)["replies"] if os.path.exists(dp) else None
                notes.append("deliberately different: %s" % sc["deliberate"])
            if sc.get("later") and not args.include_later:
                ngm_skipped = "later: %s" % sc["later"]
            elif expected is None:
                problems.append("no golden/deliberate file (run with --record-deliberate)")
            elif with_allowed(res.get("ngmediad", []), expected, sc) != expected:
                problems.append("ngmediad differs from golden\n"
                                + describe_diff("ngmediad", expected,
                                                with_allowed(res.get("ngmediad", []), expected, sc),
                                                sc["requests"]))
            else:
                notes.append("ngmediad ok")
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for p in problems:
                print("  " + p)
        elif ngm_skipped:
            skipped += 1
            print("SKIP %s (%s%s)" % (name, ngm_skipped,
                                      "; rtpengine matches golden" if have_rtpe else ""))
        else:
            passed += 1
            if sc.get("deliberate") and have_ngm:
                deliberate += 1
                print("PASS %s (deliberately different from rtpengine: compared with ngmediad's own "
                      "golden/deliberate/%s.json)" % (name, name))
            else:
                print("PASS %s%s" % (name, " (%s)" % ", ".join(notes) if args.verbose else ""))
            if args.verbose and sc.get("description"):
                print("     " + sc["description"])

    if not args.verbose and not failed:
        try:
            for fn in os.listdir(logdir):
                os.unlink(os.path.join(logdir, fn))
            os.rmdir(logdir)
        except OSError:
            pass
    else:
        print("daemon logs kept in %s" % logdir)
    if have_ngm:
        print("ngmediad: %d scenarios identical to rtpengine, %d deliberately different" %
              (passed - deliberate, deliberate))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
