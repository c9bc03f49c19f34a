#!/usr/bin/env python3
"""Differential test of OpenSER's mediaproxy protocol (--listen-tcp): the
same command lines to ngmediad and to Debian's rtpengine 10.5, one TCP
connection each, replies compared after normalising what each daemon
chooses freely.

    mediaproxy_diff.py --ngmediad PATH [--rtpengine /usr/bin/rtpengine] [-v]

A reply is what came back until the daemon closed the connection, then
"<closed>" (or "<open>" when it did not close within 2 s). Normalised:
allocated media ports become P1, P2, ... in order of first appearance in a
scenario; the version string, status's byte rate and session ages, and the
client addresses controls lists.

Exit status: 0 all scenarios match, 1 a difference, 77 rtpengine is not
installed (skipped, the reason printed), 2 usage.
Ports: control 61700-61719 (the first free ones), media 61720-61754
(rtpengine) and 61755-61789 (ngmediad).
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

REST = " 127.0.0.1 dom.a local dom.b remote UA info="

# Each scenario: command lines ({A}/{B} are the two test peers' ports), each
# sent on a connection of its own; a tuple is several pieces sent 0.3 s apart.
SCENARIOS = {
    "words": [
        "version", "build", "status", "controls", "quit", "exit", "\r\n\nversion\nstatus",
        "status\r",
    ],
    "lines_that_do_not_parse": [
        "foo", "VERSION", "Status", "version extra", " version", "version ", "debug",
        "delete", "delete abc", "delete abc info", "delete abc xinfo=", "delete d1 info=junk junk",
        "request", "lookup", "request c 127.0.0.1:5000 a b c d e info=fromtag:x",
        "request c 127.0.0.1:5000 a b c d e f g info=fromtag:x",
        "request c 127.0.0.1:5000 a b c d e f info=fromtag:x junk",
        ("delete " + "x" * 1100, " info="),
    ],
    "call": [
        "request mc1 127.0.0.1:{A}" + REST + "from:a@x,to:b@y,fromtag:f1,totag:",
        "request mc1 127.0.0.1:{A}" + REST + "from:a@x,to:b@y,fromtag:f1,totag:",
        "lookup mc1 127.0.0.1:{B}" + REST + "from:a@x,to:b@y,fromtag:f1,totag:t1",
        "lookup mc1 127.0.0.1:{B}" + REST + "from:a@x,to:b@y,fromtag:f1,totag:t1",
        "status",
        "delete mc1 info=",
        "status",
        "lookup mc1 127.0.0.1:{B}" + REST + "fromtag:f1,totag:t1",
        "delete mc1 info=",
    ],
    "requests_without_media": [
        "request e1 127.0.0.1:{A}" + REST,
        "request e2 1.2.3:5020" + REST + "fromtag:f",
        "request e3 127.0.0.1:abc" + REST + "fromtag:f",
        "request e4 127.0.0.1" + REST + "fromtag:f",
        "request e5 127.0.0.1:70000" + REST + "fromtag:f",
        "request e6 [::1]:5030" + REST + "fromtag:f",
        "lookup nosuch 127.0.0.1:{B}" + REST + "fromtag:f,totag:t",
    ],
    "request_variants": [
        "request v1 127.0.0.1:0" + REST + "fromtag:f",
        "request v2 0.0.0.0:{A}" + REST + "fromtag:f",
        "request v3 127.0.0.1:{A}:audio" + REST + "fromtag:f",
        "request v4 127.0.0.1:{A}," + REST + "fromtag:f",
        "request\tv5  127.0.0.1:{A}  a b c d e f  info=totag:,fromtag:f",
        "request v6 127.0.0.1:{A}" + REST + "fromtag:f\r",
        "lookup v6 127.0.0.1:{B}" + REST + "fromtag:f",
        "lookup v6 127.0.0.1:{B}" + REST + "fromtag:f,totag:t",
    ],
    "two_streams": [
        "request ts 127.0.0.1:{A},127.0.0.1:{A}" + REST + "fromtag:f",
        "lookup ts 127.0.0.1:{B},127.0.0.1:{B}" + REST + "fromtag:f,totag:t",
    ],
}

# Replies where ngmediad differs on purpose: scenario -> {reply index: why}.
DELIBERATE = {
    "two_streams": {
        0: "rtpengine 10.5 writes each stream's 'ADDR PORT' with nothing between them "
           "('127.0.0.1 P1127.0.0.1 P2'); ngmediad writes 'ADDR PORT1 PORT2', the form "
           "the mediaproxy module reads",
        1: "the same for lookup",
    },
}


def free_port(lo, hi, kind=socket.SOCK_STREAM):
    for p in range(lo, hi + 1):
        s = socket.socket(socket.AF_INET, kind)
        try:
            # The daemons listen with SO_REUSEADDR: a port whose earlier
            # connections are in TIME-WAIT (each scenario leaves some) is
            # free for them, and must be for this probe too.
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            pass
        finally:
            s.close()
    raise RuntimeError(f"no free port in {lo}-{hi}")


class Daemon:
    def __init__(self, path, is_rtpengine, port_min, port_max):
        for attempt in range(5):
            self.port = free_port(61700, 61719)
            self.log = tempfile.TemporaryFile()
            args = [path, "--config-file=none", "--table=-1", "--foreground", "--log-stderr",
                    "--interface=127.0.0.1", f"--listen-tcp=127.0.0.1:{self.port}",
                    f"--listen-ng=127.0.0.1:{free_port(61700, 61719, socket.SOCK_DGRAM)}",
                    "--delete-delay=0", f"--port-min={port_min}", f"--port-max={port_max}"]
            if is_rtpengine:
                # Its CLI listens on 2224 unless told otherwise.
                args.append(f"--listen-cli=127.0.0.1:{free_port(self.port + 1, 61719)}")
            self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                if self.request("version", 0.3).startswith("Version: "):
                    return
                time.sleep(0.1)
            self.stop()
            print(f"  {path} did not answer version on 127.0.0.1:{self.port} "
                  f"(attempt {attempt + 1}): " + " | ".join(self.output().strip().splitlines()[-3:]))
        raise RuntimeError(f"{path} does not answer on 127.0.0.1:{self.port}")

    def request(self, line, timeout=2.0):
        pieces = line if isinstance(line, tuple) else (line,)
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        except OSError:
            return "<refused>"
        data, end = b"", "<open>"
        try:
            for i, piece in enumerate(pieces):
                if i:
                    time.sleep(0.3)
                s.sendall((piece + ("\n" if i == len(pieces) - 1 else "")).encode())
            while True:
                d = s.recv(65536)
                if not d:
                    end = "<closed>"
                    break
                data += d
        except socket.timeout:
            pass
        except OSError:
            end = "<closed>"
        finally:
            s.close()
        return data.decode(errors="replace") + end

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def run(daemon, steps):
    ports = {"A": "40000", "B": "40002"}
    return [daemon.request(s.format(**ports) if isinstance(s, str) else s) for s in steps]


def normalise(replies, port_min, port_max):
    names, out = {}, []

    def port(m):
        p = m.group(0)
        if not port_min <= int(p) <= port_max:
            return p
        names.setdefault(p, f"P{len(names) + 1}")
        return names[p]

    for r in replies:
        r = re.sub(r"^Version: .*$", "Version: V", r, flags=re.M)
        r = re.sub(r"^proxy (\d+) \d+/", r"proxy \1 RATE/", r, flags=re.M)
        r = re.sub(r"^(session \S+ - - - -) \d+$", r"\1 AGE", r, flags=re.M)
        r = re.sub(r"^127\.0\.0\.1:\d+$", "PEER", r, flags=re.M)
        r = re.sub(r"(?<![\d.])\d{5}(?![\d.])", port, r)
        out.append(r)
    return out


def same(want, got):
    """rtpengine 10.5's `status` now and then leaves out the session lines of
    a call it has just set up (seen once in a CI run, not reproduced); where
    its reply has none, ngmediad's may have them (integration.MediaproxyTest
    checks that ngmediad lists the call)."""
    if want == got:
        return True
    if "session " in want:
        return False
    return re.sub(r"^session [^\n]*\n", "", got, flags=re.M) == want



if __name__ == "__main__":
    sys.exit(oracle_diff.main(SCENARIOS, DELIBERATE, Daemon, run, normalise, ((61720, 61754), (61755, 61789)), same))
