#!/usr/bin/env python3
"""Helpers of run_baresip.sh: drive one call between two baresip phones over
their ctrl_tcp sockets, ask ngmediad about it, and analyse what each phone
recorded.  Python's standard library only (no numpy): the tones are found
with a Goertzel sweep.

  baresip_drive.py call WORK CASE CALLER_CTRL CALLEE_CTRL DIAL_URI NG_PORT REINVITE
      -> WORK/CASE/call.txt: one "ok|bad NAME|DETAIL" line per check, and
         "time|EVENT|SECONDS" lines (seconds since the dial)
  baresip_drive.py tone WAV LABEL HZ OTHER_HZ CALL_TXT
      -> one "ok|bad NAME|DETAIL" line per check of the recording (with a
         re-INVITE in CALL_TXT, the tone is looked for after it too)
  baresip_drive.py mktone WAV HZ SECONDS
"""
import json
import math
import os
import socket
import struct
import sys
import time
import wave

RATE = 8000


# --- ctrl_tcp: JSON in netstrings --------------------------------------------
class Phone:
    def __init__(self, name, port, log):
        self.name, self.port, self.log = name, port, log
        self.buf, self.events, self.token = b"", [], 0
        deadline = time.time() + 8
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"{name}: ctrl_tcp 127.0.0.1:{port} does not accept")
                time.sleep(0.1)

    def _read(self, timeout):
        """One message (dict) or None when nothing came within timeout."""
        end = time.time() + timeout
        while True:
            colon = self.buf.find(b":")
            if colon > 0:
                n = int(self.buf[:colon])
                if len(self.buf) >= colon + 1 + n + 1:
                    body = self.buf[colon + 1:colon + 1 + n]
                    self.buf = self.buf[colon + 2 + n:]
                    msg = json.loads(body.decode("utf-8", "replace"))
                    self.log.write(f"{time.time():.3f} {self.name} <- {json.dumps(msg)}\n")
                    return msg
            left = end - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise RuntimeError(f"{self.name}: ctrl_tcp connection closed")
            self.buf += data

    def command(self, cmd, params="", timeout=5):
        self.token += 1
        tok = f"{self.name}-{self.token}"
        body = json.dumps({"command": cmd, "params": params, "token": tok}).encode()
        self.log.write(f"{time.time():.3f} {self.name} -> {body.decode()}\n")
        self.sock.sendall(b"%d:%s," % (len(body), body))
        end = time.time() + timeout
        while time.time() < end:
            msg = self._read(end - time.time())
            if msg is None:
                break
            if msg.get("response") and msg.get("token") == tok:
                return msg
            if msg.get("event"):
                self.events.append((time.time(), msg))
        return None

    def wait_event(self, etype, timeout):
        """Time of the first event of that type (already seen or coming)."""
        for t, m in self.events:
            if m.get("type") == etype:
                return t
        end = time.time() + timeout
        while time.time() < end:
            msg = self._read(end - time.time())
            if msg is None:
                break
            if msg.get("event"):
                self.events.append((time.time(), msg))
                if msg.get("type") == etype:
                    return time.time()
        return None

    def count(self, etype):
        return sum(1 for _, m in self.events if m.get("type") == etype)


# --- ng (bencode over UDP) -----------------------------------------------------
def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    return b"d" + b"".join(benc(k) + benc(x) for k, x in sorted(v.items())) + b"e"


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        out, i = ([] if c == b"l" else {}), i + 1
        while b[i:i + 1] != b"e":
            x, i = bdec(b, i)
            if c == b"l":
                out.append(x)
            else:
                y, i = bdec(b, i)
                out[x] = y
        return out, i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n].decode("utf-8", "replace"), j + 1 + n


def ng(port, msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    cookie = os.urandom(6).hex().encode()
    for _ in range(3):
        s.sendto(cookie + b" " + benc(msg), ("127.0.0.1", port))
        try:
            data = s.recv(65535)
        except (socket.timeout, ConnectionRefusedError):
            continue
        if data.startswith(cookie + b" "):
            return bdec(data, len(cookie) + 1)[0]
    return None


def legs(port, call_id, from_tag):
    """(caller leg, callee leg) of a call as ngmediad's query shows them:
    protocol, crypto suite, RTP packets and errors, RTCP errors, the
    media's flags (DTLS-SRTP, its role, rtcp-mux)."""
    q = ng(port, {"command": "query", "call-id": call_id}) or {}
    out = {}
    for tag, t in q.get("tags", {}).items():
        try:
            m = t["medias"][0]
            rtp = m["streams"][0]["stats"]
            rtcp = m["streams"][1]["stats"]
            out["caller" if tag == from_tag else "callee"] = {
                "protocol": m.get("protocol", "?"), "suite": m["streams"][0].get("crypto suite", "-"),
                "packets": int(rtp["packets"]), "errors": int(rtp["errors"]),
                "rtcp_errors": int(rtcp["errors"]), "flags": m.get("flags", [])}
        except (KeyError, IndexError, TypeError, ValueError):
            pass
    return out


def call(work, case, caller_ctrl, callee_ctrl, uri, ng_port, reinvite):
    cdir = os.path.join(work, case)
    log = open(os.path.join(cdir, "ctrl.log"), "w", buffering=1)
    out = open(os.path.join(cdir, "call.txt"), "w", buffering=1)

    def report(name, ok, detail):
        out.write(f"{'ok' if ok else 'bad'}|{name}|{detail}\n")

    try:
        caller = Phone("caller", caller_ctrl, log)
        callee = Phone("callee", callee_ctrl, log)
    except RuntimeError as e:
        report("phones answer on ctrl_tcp", False, str(e))
        return
    t0 = time.time()
    r = caller.command("dial", uri)
    up_caller = caller.wait_event("CALL_ESTABLISHED", 8)
    up_callee = callee.wait_event("CALL_ESTABLISHED", 2)
    report("call established through kamailio (both phones)", bool(up_caller and up_callee),
           f"dial {uri}: {'ok' if r and r.get('ok') else r}; established caller "
           f"{'%.2f s' % (up_caller - t0) if up_caller else 'never'}, callee "
           f"{'%.2f s' % (up_callee - t0) if up_callee else 'never'}")
    if not (up_caller and up_callee):
        caller.command("hangup")
        return
    out.write(f"time|established|{max(up_caller, up_callee) - t0:.3f}\n")

    # ngmediad's side of it: the From tag is the caller's (kamailio logs it).
    ids, end = [], time.time() + 3
    while not ids and time.time() < end:
        ids = (ng(ng_port, {"command": "list"}) or {}).get("calls", [])
        time.sleep(0 if ids else 0.1)
    call_id = ids[0] if len(ids) == 1 else None
    report("ngmediad has the call", call_id is not None, f"list: {ids}")
    from_tag = None
    klog = os.path.join(work, "kamailio.log")
    for line in open(klog, errors="replace"):
        if call_id and f"call-id {call_id} from-tag " in line:
            from_tag = line.rsplit("from-tag ", 1)[1].strip()
    out.write(f"info|call|{call_id} from-tag {from_tag}\n")

    time.sleep(2.5)
    mid = legs(ng_port, call_id, from_tag) if call_id else {}
    out.write(f"legs|before|{json.dumps(mid)}\n")
    if reinvite:
        t_re = time.time()
        r = caller.command("reinvite")
        # the answer to the re-INVITE comes back as a new remote SDP
        time.sleep(1.0)
        out.write(f"time|reinvite|{t_re - t0:.3f}\n")
        report("caller sent a re-INVITE (ctrl_tcp reinvite)", bool(r and r.get("ok")),
               f"reply {json.dumps(r)}")
        time.sleep(2.0)
        after = legs(ng_port, call_id, from_tag) if call_id else {}
        out.write(f"legs|after|{json.dumps(after)}\n")
    t_hang = time.time()
    out.write(f"time|hangup|{t_hang - t0:.3f}\n")
    r = caller.command("hangup")
    closed_caller = caller.wait_event("CALL_CLOSED", 5)
    closed_callee = callee.wait_event("CALL_CLOSED", 5)
    report("call closed by the caller's BYE (both phones)", bool(closed_caller and closed_callee),
           f"hangup {'ok' if r and r.get('ok') else r}; closed caller "
           f"{'yes' if closed_caller else 'no'}, callee {'yes' if closed_callee else 'no'}")
    for p in (caller, callee):
        p.command("quit", timeout=1)


# --- audio ----------------------------------------------------------------------
def goertzel(x, hz):
    w = 2 * math.pi * hz / RATE
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - c * s1 * s2) / (len(x) * len(x) / 4)


def dominant(x):
    """(frequency, share of the window's power) of the strongest 20 Hz bin
    from 100 to 3900 Hz."""
    best = max(range(100, 3901, 20), key=lambda f: goertzel(x, f))
    total = sum(v * v for v in x) / len(x)
    # a pure tone's power at its bin is A^2/2, the window's mean square too
    return best, (goertzel(x, best) / 2) / total if total else 0.0


def tone(wav, name, hz, other_hz, call_txt):
    """Checks of one recording: not silent, and the other phone's tone
    dominant in the middle and, after a re-INVITE, in a window that starts
    half a second after it (the recording starts when the call is up)."""
    times = {}
    for line in open(call_txt, errors="replace"):
        kind, _, rest = line.strip().partition("|")
        if kind == "time":
            k, _, v = rest.partition("|")
            times[k] = float(v)
    after = times["reinvite"] - times["established"] if "reinvite" in times and "established" in times else 0
    try:
        w = wave.open(wav, "rb")
        if w.getframerate() != RATE or w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"format {w.getframerate()} Hz x{w.getnchannels()} {8 * w.getsampwidth()} bit")
        raw = w.readframes(w.getnframes())
    except (OSError, EOFError, ValueError, wave.Error) as e:
        print(f"bad|{name}: recording readable|{wav}: {e}")
        return
    x = struct.unpack("<%dh" % (len(raw) // 2), raw)
    secs = len(x) / RATE
    frames = [x[i:i + 160] for i in range(int(0.3 * RATE), len(x) - 160, 160)]
    loud = sum(1 for f in frames if math.sqrt(sum(v * v for v in f) / 160) > 1000)
    share = loud / len(frames) if frames else 0.0
    print(f"{'ok' if share >= 0.9 else 'bad'}|{name}: audio in the recording, not silence|"
          f"{secs:.2f} s recorded, {100 * share:.0f} % of its 20 ms frames above RMS 1000 (need 90 %)")
    windows = [("middle", secs / 2 - 0.25)]
    if after > 0:
        windows.append(("after the re-INVITE", after + 0.5))
    for label, start in windows:
        a, b = int(start * RATE), int(start * RATE) + RATE // 4
        seg = [v / 32768 for v in x[max(a, 0):b]]
        if len(seg) < RATE // 4:
            print(f"bad|{name}: {hz} Hz dominant ({label})|recording too short ({secs:.2f} s)")
            continue
        f, part = dominant(seg)
        rms = math.sqrt(sum(v * v for v in seg) / len(seg)) * 32768
        ok = abs(f - hz) <= 20 and part >= 0.5 and rms > 1000
        print(f"{'ok' if ok else 'bad'}|{name}: {hz} Hz dominant ({label}), not its own {other_hz} Hz|"
              f"peak {f} Hz holding {100 * part:.0f} % of the power, RMS {rms:.0f} "
              f"(0.25 s from {start:.2f} s)")


def mktone(wav, hz, secs):
    w = wave.open(wav, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(RATE)
    w.writeframes(b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / RATE)))
                           for i in range(int(secs * RATE))))
    w.close()


if __name__ == "__main__":
    if sys.argv[1] == "call":
        call(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
             int(sys.argv[7]), sys.argv[8] == "1")
    elif sys.argv[1] == "tone":
        tone(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif sys.argv[1] == "mktone":
        mktone(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
