#!/usr/bin/env python3
"""Differential test of the rtpproxy protocol (--listen-udp): the same
command lines to ngmediad and to Debian's rtpengine 10.5, replies compared
after normalising what each daemon chooses freely.

    rtpproxy_diff.py --ngmediad PATH [--rtpengine /usr/bin/rtpengine] [-v]

Normalised: allocated media ports become P1, P2, ... in order of first
appearance in a scenario (so "the same port again" is still checked), and
Q's TTL becomes TTL when it is within 5 s of the silent timeout.

rtpengine 10.5 keeps a call locked after a Q: whatever needs that call next
(a command, a packet, the timer) hangs. So every scenario runs on freshly
started daemons and a Q on a live call is the last thing it does there;
ngmediad's own answers to Q in every state are tested in
tests/integration/rtpproxy_test.cpp. Its crash on "VF" without a date is
left out for the same reason.

Exit status: 0 all scenarios match, 1 a difference, 77 rtpengine is not
installed (skipped, the reason printed), 2 usage.
Ports: media 64610-64659 (rtpengine) and 64660-64699 (ngmediad), control
ports picked free.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle_diff  # noqa: E402

RTP = bytes([0x80, 8, 0, 1]) + b"\0" * 8 + b"\xd5" * 160
RTCP = bytes([0x80, 201, 0, 1]) + b"\0" * 4

# Each scenario: a list of steps. A string step is a command line ({A}/{B}
# are the two test peers' ports); ("rtp", peer, reply-index, count) sends
# RTP from peer A or B to the port of an earlier reply; ("rtcp", ...) RTCP
# to that port + 1; ("sleep", seconds).
SCENARIOS = {
    "version_and_errors": [
        "c1 V", "c2 v", "c3 V extra",
        "c4 VF 20040107", "c5 VF 20050322", "c6 VF 20060704", "c7 VF 20071116",
        "c8 VF 20071218", "c9 VF 20080403", "c10 VF 20081102", "c11 VF 20081224",
        "c12 VF 20090810", "c13 vf 20111111",
        "c14 I", "c15 Ib", "c16 X", "garbage", "c17 U", "c18 D", "c19 Q",
        "c20 U cid 300.1.1.1 4000 f;1", "c21 U cid 10.0.0.1 x f;1",
    ],
    "offer_answer_delete": [
        "u1 U call-1@host 127.0.0.1 {A} from1;1",
        "u2 U call-1@host 127.0.0.1 {A} from1;1",
        "l1 L call-1@host 127.0.0.1 {B} from1;1 to1;1",
        "l2 L call-1@host 127.0.0.1 {B} from1;1 to1;1",
        "d1 D call-1@host from1 to1",
        "d2 D call-1@host from1 to1",
        "q1 Q call-1@host from1 to1",
    ],
    "query_offered": [
        "u1 U qo 127.0.0.1 {A} f;1",
        "q1 Q qo f",
    ],
    "query_answered": [
        "u1 U qa 127.0.0.1 {A} f;1",
        "l1 L qa 127.0.0.1 {B} f;1 t;1",
        "q1 Q qa f t",
    ],
    "query_with_media": [
        "u1 U qm 127.0.0.1 {A} f;1",
        "l1 L qm 127.0.0.1 {B} f;1 t;1",
        ("rtp", "A", 1, 3), ("rtp", "B", 0, 2), ("rtcp", "A", 1, 1), ("sleep", 0.3),
        "q1 Q qm f t",
    ],
    "unknown_calls": [
        "l1 L nocall 1.2.3.4 5 f;1 t;1",
        "q1 Q nocall f t",
        "d1 D nocall f t",
        "u1 U nomedianum 10.0.0.1 4000 f",
    ],
    "modifiers_and_addresses": [
        "m1 UE c1 10.0.0.1 4000 f;1",
        "m2 UI c2 10.0.0.1 4000 f;1",
        "m3 UIE c3 10.0.0.1 4000 f;1",
        "m4 UAWC0,8 c4 10.0.0.1 4000 f;1",
        "m5 U c5 ::1 4000 f;1",
        "m6 U c6 10.0.0.1 0 f;1",
        "m7 u c7 10.0.0.1 4000 f;1 t;1 and more words",
    ],
    "two_media": [
        "u1 U mm 10.0.0.1 4000 f;1",
        "u2 U mm 10.0.0.1 4002 f;2",
        "l1 L mm 10.0.0.2 5000 f;1 t;1",
        "l2 L mm 10.0.0.2 5002 f;2 t;2",
        "d1 D mm f t",
    ],
    "reinvite_both_ways": [
        "u1 U ri 10.0.0.1 4000 f;1",
        "l1 L ri 10.0.0.2 5000 f;1 t;1",
        "u2 U ri 10.0.0.1 4000 f;1 t;1",
        "l2 L ri 10.0.0.2 5000 f;1 t;1",
        "u3 U ri 10.0.0.2 5002 t;1 f;1",
        "l3 L ri 10.0.0.1 4002 t;1 f;1",
        "d1 D ri t f",
    ],
    "branch_delete_by_from_tag": [
        "u1 U bd 10.0.0.1 4000 f;1",
        "l1 L bd 10.0.0.2 5000 f;1 t;1",
        "d1 D bd f",
        "d2 D bd f",
    ],
}


# Replies where ngmediad differs on purpose: scenario -> {reply index: why}.
DELIBERATE = {
    "two_media": {
        1: "rtpengine 10.5 answers 0.0.0.0 for the second media number of a call "
           "(Kamailio would write that into the SDP: no media); ngmediad the real address",
        3: "the same for L",
    },
}


def free_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Daemon:
    def __init__(self, path, is_rtpengine, port_min, port_max):
        self.port_min, self.port_max = port_min, port_max
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        # The control ports are picked free, but tests running beside this
        # one may bind them before the daemon does (it then exits): try
        # again with new ones.
        for attempt in range(5):
            self.port = free_port()
            self.log = tempfile.TemporaryFile()
            args = [path, "--config-file=none", "--table=-1", "--foreground", "--log-stderr",
                    "--interface=127.0.0.1", f"--listen-udp=127.0.0.1:{self.port}",
                    f"--listen-ng=127.0.0.1:{free_port()}",
                    f"--port-min={port_min}", f"--port-max={port_max}"]
            if is_rtpengine:
                # Its CLI listens on 2224 unless told otherwise.
                args.append(f"--listen-cli=127.0.0.1:{free_port(socket.SOCK_STREAM)}")
            self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                if self.request("ready V", 0.2) == "ready 20040107":
                    return
            self.stop()
            print(f"  {path} did not answer V on 127.0.0.1:{self.port} (attempt {attempt + 1}): "
                  + " | ".join(self.output().strip().splitlines()[-3:]))
        raise RuntimeError(f"{path} does not answer V on 127.0.0.1:{self.port}")

    def request(self, line, timeout=2.0):
        self.sock.settimeout(timeout)
        self.sock.sendto(line.encode(), ("127.0.0.1", self.port))
        try:
            return self.sock.recv(65535).decode(errors="replace").rstrip("\n")
        except (socket.timeout, ConnectionRefusedError):
            return "<no reply>"

    def stop(self):
        self.proc.send_signal(signal.SIGKILL if self.proc.poll() is None else 0)
        self.proc.wait()

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def run(daemon, steps):
    peers = {n: socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for n in "AB"}
    for p in peers.values():
        p.bind(("127.0.0.1", 0))
    ports = {n: str(p.getsockname()[1]) for n, p in peers.items()}
    replies = []
    for step in steps:
        if isinstance(step, str):
            replies.append(daemon.request(step.format(**ports)))
        elif step[0] == "sleep":
            time.sleep(step[1])
        else:
            kind, who, idx, count = step
            fields = replies[idx].split()
            port = int(fields[1]) + (1 if kind == "rtcp" else 0)
            for _ in range(count):
                peers[who].sendto(RTP if kind == "rtp" else RTCP, ("127.0.0.1", port))
    for p in peers.values():
        p.close()
    return replies


def normalise(replies, port_min, port_max, silent_timeout=3600):
    names, out = {}, []
    for r in replies:
        fields = r.split(" ")
        for i, f in enumerate(fields[1:], 1):
            if f.isdigit() and port_min <= int(f) <= port_max and i == 1:
                names.setdefault(f, f"P{len(names) + 1}")
                fields[i] = names[f]
        if len(fields) == 6 and re.fullmatch(r"-?\d+", fields[1]):
            if abs(int(fields[1]) - silent_timeout) <= 5:
                fields[1] = "TTL"
        out.append(" ".join(fields))
    return out



if __name__ == "__main__":
    sys.exit(oracle_diff.main(SCENARIOS, DELIBERATE, Daemon, run, normalise, ((64610, 64659), (64660, 64699))))
