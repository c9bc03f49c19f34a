#!/usr/bin/env python3
"""Writes the ice_* differential scenarios (tests/diff/scenarios/ice_*.json).

The scenarios are plain JSON like every other one; this script only keeps the
browser-shaped SDP bodies in one place.  Run it after editing, then record
the goldens from rtpengine (README.md, "Re-recording").  Every address is a
loopback address or an mDNS name (never resolved), as the README requires.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "scenarios")

FP_A = "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4F:52:BD:7A:FD:1F:5D:A3:92:26:AD:1E"
FP_B = "0C:1B:54:3E:22:9F:A1:77:08:6D:5B:C4:11:E0:3A:94:2F:8B:61:D7:C3:05:9E:44:7A:B2:19:F6:83:5D:0E:A8"


def plain(ver=1, addr="127.1.0.1", port=30000, extra=(), o="1545997027", s="caller",
          codecs="0 8 101", fam="IP4"):
    return ["v=0", "o=- %s %d IN %s %s" % (o, ver, fam, addr), "s=" + s,
            "c=IN %s %s" % (fam, addr), "t=0 0",
            "m=audio %d RTP/AVP %s" % (port, codecs),
            "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"] + list(extra) + ["a=sendrecv"]


def plain_b(ver=1, addr="127.2.0.1", port=32000, extra=()):
    return ["v=0", "o=- 2738161540 %d IN IP4 %s" % (ver, addr), "s=callee",
            "c=IN IP4 %s" % addr, "t=0 0", "m=audio %d RTP/AVP 0 101" % port,
            "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"] + list(extra) + ["a=sendrecv"]


def ice_attrs(ufrag, pwd, addr, port, mux=False, extra_cands=()):
    c = ["a=ice-ufrag:" + ufrag, "a=ice-pwd:" + pwd,
         "a=candidate:1 1 UDP 2130706431 %s %d typ host" % (addr, port)]
    if not mux:
        c.append("a=candidate:1 2 UDP 2130706430 %s %d typ host" % (addr, port + 1))
    return c + list(extra_cands)


A_ICE = lambda addr="127.1.0.1", port=30000, ufrag="callerufrag1", mux=False, extra=(): \
    ice_attrs(ufrag, "callerpassword0123456789", addr, port, mux, extra)
B_ICE = lambda addr="127.2.0.1", port=32000, ufrag="calleeufrag1", mux=False, extra=(): \
    ice_attrs(ufrag, "calleepassword0123456789", addr, port, mux, extra)


def chrome(ver=2, ufrag="chRm", pwd="chromepassword0123456789x", video=False, cands=None,
           eoc=False, port=30000, addr="127.1.0.1"):
    if cands is None:
        cands = ["a=candidate:3512147310 1 udp 2122260223 %s %d typ host generation 0 network-id 1" % (addr, port),
                 "a=candidate:842163049 1 udp 1686052607 127.1.0.9 41234 typ srflx raddr %s rport %d generation 0 network-id 1" % (addr, port),
                 "a=candidate:2999745851 1 tcp 1518280447 %s 9 typ host tcptype active generation 0 network-id 1" % addr,
                 "a=candidate:1901012523 1 udp 2122262783 8f0f3c47-ef35-4e5a-8c2b-6b1f2c0c1a9d.local %d typ host generation 0 network-id 2" % (port + 2)]
    s = ["v=0", "o=- 4611731400430051336 %d IN IP4 127.0.0.1" % ver, "s=-", "t=0 0",
         "a=group:BUNDLE 0" + (" 1" if video else ""), "a=extmap-allow-mixed",
         "a=msid-semantic: WMS stream0",
         "m=audio %d UDP/TLS/RTP/SAVPF 111 9 0 8 110 126" % port,
         "c=IN IP4 %s" % addr, "a=rtcp:9 IN IP4 0.0.0.0"] + cands + \
        (["a=end-of-candidates"] if eoc else []) + \
        ["a=ice-ufrag:" + ufrag, "a=ice-pwd:" + pwd, "a=ice-options:trickle",
         "a=fingerprint:sha-256 " + FP_A, "a=setup:actpass", "a=mid:0",
         "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
         "a=sendrecv", "a=msid:stream0 track0", "a=rtcp-mux",
         "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc",
         "a=fmtp:111 minptime=10;useinbandfec=1", "a=rtpmap:9 G722/8000",
         "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:110 telephone-event/48000",
         "a=rtpmap:126 telephone-event/8000", "a=ssrc:1001 cname:abcdefgh"]
    if video:
        s += ["m=video %d UDP/TLS/RTP/SAVPF 96 97" % (port + 10), "c=IN IP4 %s" % addr,
              "a=rtcp:9 IN IP4 0.0.0.0",
              "a=candidate:3512147310 1 udp 2122260223 %s %d typ host generation 0 network-id 1" % (addr, port + 10),
              "a=ice-ufrag:" + ufrag, "a=ice-pwd:" + pwd, "a=ice-options:trickle",
              "a=fingerprint:sha-256 " + FP_A, "a=setup:actpass", "a=mid:1",
              "a=sendrecv", "a=rtcp-mux", "a=rtcp-rsize", "a=rtpmap:96 VP8/90000",
              "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli", "a=rtpmap:97 rtx/90000",
              "a=fmtp:97 apt=96", "a=ssrc:2002 cname:abcdefgh"]
    return s


def chrome_answer(ver=2, ufrag="chRb", pwd="chromeanswerpassword0123", port=32000, addr="127.2.0.1", setup="active"):
    return ["v=0", "o=- 5811731400430051337 %d IN IP4 127.0.0.1" % ver, "s=-", "t=0 0",
            "a=group:BUNDLE 0", "a=msid-semantic: WMS",
            "m=audio %d UDP/TLS/RTP/SAVPF 0 101" % port, "c=IN IP4 %s" % addr,
            "a=rtcp:9 IN IP4 0.0.0.0",
            "a=candidate:1467250027 1 udp 2122260223 %s %d typ host generation 0" % (addr, port),
            "a=ice-ufrag:" + ufrag, "a=ice-pwd:" + pwd, "a=ice-options:trickle",
            "a=fingerprint:sha-256 " + FP_B, "a=setup:" + setup, "a=mid:0", "a=sendrecv",
            "a=rtcp-mux", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16"]


def firefox(ver=0, addr="127.1.0.1", port=30000, ipv6=False):
    fam = "IP6" if ipv6 else "IP4"
    caddr = "::1" if ipv6 else addr
    return ["v=0", "o=mozilla...THIS_IS_SDPARTA-99.0 7305473011356286340 %d IN %s 0.0.0.0" % (ver, "IP4"),
            "s=-", "t=0 0",
            "a=fingerprint:sha-256 " + FP_A, "a=group:BUNDLE 0", "a=ice-options:trickle",
            "a=msid-semantic:WMS *",
            "m=audio %d UDP/TLS/RTP/SAVPF 109 9 0 8 101" % port, "c=IN %s %s" % (fam, caddr),
            "a=candidate:0 1 UDP 2122252543 %s %d typ host" % (caddr, port),
            "a=candidate:1 1 TCP 2105524479 %s 9 typ host tcptype active" % caddr,
            "a=candidate:0 2 UDP 2122252542 %s %d typ host" % (caddr, port + 1),
            "a=sendrecv", "a=end-of-candidates",
            "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1",
            "a=fmtp:101 0-15", "a=ice-pwd:ffpassword0123456789abcd", "a=ice-ufrag:ffuf",
            "a=mid:0", "a=msid:{a} {b}", "a=rtcp-mux", "a=rtpmap:109 opus/48000/2",
            "a=rtpmap:9 G722/8000/1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
            "a=rtpmap:101 telephone-event/8000", "a=setup:actpass", "a=ssrc:3003 cname:{c}"]


def off(cid, sdp, group=None, **keys):
    r = {"command": "offer", "call-id": cid, "from-tag": "ft-a"}
    r.update(keys)
    r["sdp"] = sdp
    return r


def ans(cid, sdp, **keys):
    r = {"command": "answer", "call-id": cid, "from-tag": "ft-a", "to-tag": "tt-b"}
    r.update(keys)
    r["sdp"] = sdp
    return r


S = {}


def sc(name, desc, reqs, group="ice", **extra):
    d = {"description": desc, "group": group}
    d.update(extra)
    d["requests"] = reqs
    S[name] = d


def build():
    n = "ice_chrome_to_plain"
    sc(n, "Chrome-shaped offer (BUNDLE, trickle, mDNS/srflx/tcp candidates, DTLS, rtcp-mux) to a plain phone: ICE=remove, RTP/AVP, demux; plain answer",
       [off(n, chrome(), **{"transport protocol": "RTP/AVP", "ICE": "remove", "rtcp-mux": ["demux"]}),
        ans(n, plain_b())])
    n = "ice_chrome_to_plain_default"
    sc(n, "Chrome-shaped offer to RTP/AVP without an ICE key: ICE offered on (default); plain answer",
       [off(n, chrome(), **{"transport protocol": "RTP/AVP", "rtcp-mux": ["demux"]}),
        ans(n, plain_b())])
    n = "ice_chrome_passthrough"
    sc(n, "Chrome-shaped offer, no keys (WebRTC to WebRTC); Chrome-shaped answer",
       [off(n, chrome()), ans(n, chrome_answer())])
    n = "ice_chrome_two_media"
    sc(n, "Chrome-shaped audio+video BUNDLE offer to plain (ICE=remove, RTP/AVP)",
       [off(n, chrome(video=True), **{"transport protocol": "RTP/AVP", "ICE": "remove", "rtcp-mux": ["demux"]}),
        ans(n, plain_b() + ["m=video 32010 RTP/AVP 96", "a=rtpmap:96 VP8/90000", "a=sendrecv"])])
    n = "ice_chrome_eoc"
    sc(n, "Chrome-shaped offer with a=end-of-candidates, ICE=force",
       [off(n, chrome(eoc=True), ICE="force")])
    n = "ice_chrome_mdns_only"
    sc(n, "Chrome-shaped offer whose only candidate is an mDNS .local name, ICE default",
       [off(n, chrome(cands=["a=candidate:1901012523 1 udp 2122262783 0b1c2d3e-1111-2222-3333-444455556666.local 30002 typ host generation 0 network-id 2"]))])
    n = "ice_plain_to_chrome"
    sc(n, "plain offer to WebRTC (ICE=force, UDP/TLS/RTP/SAVPF, rtcp-mux offer); Chrome-shaped answer",
       [off(n, plain(), **{"transport protocol": "UDP/TLS/RTP/SAVPF", "ICE": "force", "rtcp-mux": ["offer"]}),
        ans(n, chrome_answer())])
    n = "ice_plain_to_chrome_require"
    sc(n, "plain offer to WebRTC with rtcp-mux require and trickle ICE; Chrome-shaped answer",
       [off(n, plain(), **{"transport protocol": "UDP/TLS/RTP/SAVPF", "ICE": "force", "rtcp-mux": ["require"], "flags": ["trickle ICE"]}),
        ans(n, chrome_answer())])
    n = "ice_firefox_to_plain"
    sc(n, "Firefox-shaped offer (session-level fingerprint and ice-options, end-of-candidates) to plain: ICE=remove",
       [off(n, firefox(), **{"transport protocol": "RTP/AVP", "ICE": "remove", "rtcp-mux": ["demux"]}),
        ans(n, plain_b())])
    n = "ice_firefox_default"
    sc(n, "Firefox-shaped offer, no keys; plain RTP/SAVPF-less answer",
       [off(n, firefox()), ans(n, chrome_answer(setup="passive"))])
    n = "ice_force_with_ice"
    sc(n, "ICE=force on an offer that has ICE: its candidates are replaced by ours",
       [off(n, plain(extra=A_ICE()), ICE="force"), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_force_answer_ice"
    sc(n, "ICE=force on a plain offer; the answer speaks ICE (the plain offerer gets none)",
       [off(n, plain(), ICE="force"), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_force_mux_only"
    sc(n, "ICE=force with rtcp-mux require: one component",
       [off(n, plain(), ICE="force", **{"rtcp-mux": ["require"]})])
    n = "ice_force_sdes"
    sc(n, "ICE=force to RTP/SAVP: a=crypto before the ICE lines",
       [off(n, plain(), ICE="force", **{"transport protocol": "RTP/SAVP", "SDES": ["only-AES_CM_128_HMAC_SHA1_80"]})])
    n = "ice_force_answer"
    sc(n, "ICE=force given in the answer: the answer to the plain offerer gets ICE",
       [off(n, plain()), ans(n, plain_b(), ICE="force")])
    n = "ice_default_key"
    sc(n, "ICE=default with ICE in offer and none in answer",
       [off(n, plain(extra=A_ICE()), ICE="default"), ans(n, plain_b())])
    n = "ice_optional_plain"
    sc(n, "ICE=optional on a plain offer",
       [off(n, plain(), ICE="optional"), ans(n, plain_b())])
    n = "ice_optional_with_ice"
    sc(n, "ICE=optional on an offer with ICE candidates",
       [off(n, plain(extra=A_ICE()), ICE="optional"), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_force_relay_with_ice"
    sc(n, "ICE=force-relay on an offer with host and relay candidates",
       [off(n, plain(extra=A_ICE(extra=["a=candidate:2 1 UDP 16777215 127.1.0.7 50000 typ relay raddr 127.1.0.1 rport 30000"])), ICE="force-relay"),
        ans(n, plain_b(extra=B_ICE()))])
    n = "ice_force_relay_plain"
    sc(n, "ICE=force-relay on a plain offer",
       [off(n, plain(), ICE="force-relay"), ans(n, plain_b())])
    n = "ice_remove_answer_ice"
    sc(n, "ICE=remove in offer and none in answer: answerer's ICE stripped, offerer gets none",
       [off(n, plain(), ICE="remove"), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_lite_forward"
    sc(n, "ICE=force, ICE-lite=forward; answer with ICE",
       [off(n, plain(), ICE="force", **{"ICE-lite": "forward"}), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_lite_backward"
    sc(n, "ICE offer with ICE-lite=backward; answer with ICE",
       [off(n, plain(extra=A_ICE()), **{"ICE-lite": "backward"}), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_lite_both"
    sc(n, "ICE offer with ICE-lite=both; answer with ICE",
       [off(n, plain(extra=A_ICE()), **{"ICE-lite": "both"}), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_lite_off_reoffer"
    sc(n, "ICE-lite=both, then a re-offer with ICE-lite=off",
       [off(n, plain(extra=A_ICE()), **{"ICE-lite": "both"}), ans(n, plain_b(extra=B_ICE())),
        off(n, plain(ver=2, extra=A_ICE()), **{"ICE-lite": "off"}), ans(n, plain_b(ver=2, extra=B_ICE()))])
    n = "ice_lite_kept_reoffer"
    sc(n, "ICE-lite=forward, then a re-offer without the key keeps it",
       [off(n, plain(extra=A_ICE()), **{"ICE-lite": "forward"}), ans(n, plain_b(extra=B_ICE())),
        off(n, plain(ver=2, extra=A_ICE())), ans(n, plain_b(ver=2, extra=B_ICE()))])
    n = "ice_peer_lite"
    sc(n, "offerer is an ICE-lite peer (session a=ice-lite)",
       [off(n, plain(extra=A_ICE())[:5] + ["a=ice-lite"] + plain(extra=A_ICE())[5:]),
        ans(n, plain_b(extra=B_ICE()))])
    n = "ice_trickle_flag"
    sc(n, "ICE=force with the 'trickle ICE' flag",
       [off(n, plain(), ICE="force", flags=["trickle ICE"]), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_trickle_offer"
    sc(n, "offer with a=ice-options:trickle (media level), no keys; answer with ICE",
       [off(n, plain(extra=A_ICE() + ["a=ice-options:trickle"])), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_trickle_session"
    sc(n, "offer with session-level a=ice-options:trickle and credentials",
       [off(n, plain()[:5] + ["a=ice-options:trickle", "a=ice-ufrag:sessufrag", "a=ice-pwd:sessionpassword0123456789"] + plain()[5:] +
            ["a=candidate:1 1 UDP 2130706431 127.1.0.1 30000 typ host", "a=candidate:1 2 UDP 2130706430 127.1.0.1 30001 typ host"]),
        ans(n, plain_b(extra=B_ICE()))])
    n = "ice_end_of_candidates"
    sc(n, "offer with a=end-of-candidates, answer with it too",
       [off(n, plain(extra=A_ICE() + ["a=end-of-candidates"])), ans(n, plain_b(extra=B_ICE() + ["a=end-of-candidates"]))])
    n = "ice_remote_candidates"
    sc(n, "re-offer with a=remote-candidates",
       [off(n, plain(extra=A_ICE())), ans(n, plain_b(extra=B_ICE())),
        off(n, plain(ver=2, extra=A_ICE() + ["a=remote-candidates:1 127.2.0.1 32000 2 127.2.0.1 32001"]))])
    n = "ice_rtcp_attr_candidates"
    sc(n, "ICE offer with a=rtcp on another port and candidates matching it",
       [off(n, plain(extra=["a=rtcp:30005"] + A_ICE())), ans(n, plain_b(extra=["a=rtcp-mux"] + B_ICE(mux=True)))])
    n = "ice_candidate_ipv6"
    sc(n, "IPv4 offer with IPv4 and IPv6 host candidates (basic group)",
       [off(n, plain(extra=A_ICE(extra=["a=candidate:2 1 UDP 2130706175 ::1 30000 typ host", "a=candidate:2 2 UDP 2130706174 ::1 30001 typ host"]))),
        ans(n, plain_b(extra=B_ICE()))])
    n = "ice_dual_force"
    sc(n, "dual-family interface: ICE=force lists an IPv4 and an IPv6 candidate per component",
       [off(n, plain(), ICE="force"), ans(n, plain_b(extra=B_ICE()))], group="dual")
    n = "ice_dual_ipv6_offer"
    sc(n, "dual-family interface: IPv6 offer with ICE",
       [off(n, plain(addr="::1", fam="IP6", extra=A_ICE(addr="::1"))),
        ans(n, plain_b(extra=B_ICE()))], group="dual")
    n = "ice_dual_mux"
    sc(n, "dual-family interface: ICE with rtcp-mux offered and answered",
       [off(n, plain(extra=["a=rtcp-mux"] + A_ICE(mux=True))),
        ans(n, plain_b(extra=["a=rtcp-mux"] + B_ICE(mux=True)))], group="dual")
    n = "ice_named_advertised"
    sc(n, "named interface with an advertised address: candidates carry it",
       [off(n, plain(), ICE="force", direction=["priv", "pub"]), ans(n, plain_b(extra=B_ICE()))], group="named")
    n = "ice_reoffer_same"
    sc(n, "ICE both sides; the same re-offer and answer keep all credentials",
       [off(n, plain(extra=A_ICE())), ans(n, plain_b(extra=B_ICE())),
        off(n, plain(ver=2, extra=A_ICE())), ans(n, plain_b(ver=2, extra=B_ICE()))])
    n = "ice_restart_offerer"
    sc(n, "ICE both sides; the offerer restarts ICE (new ufrag/pwd)",
       [off(n, plain(extra=A_ICE())), ans(n, plain_b(extra=B_ICE())),
        off(n, plain(ver=2, extra=ice_attrs("callerufrag2", "callerpassword9876543210", "127.1.0.1", 30000))),
        ans(n, plain_b(ver=2, extra=B_ICE()))])
    n = "ice_restart_answerer"
    sc(n, "ICE both sides; a re-offer answered with new answerer credentials",
       [off(n, plain(extra=A_ICE())), ans(n, plain_b(extra=B_ICE())),
        off(n, plain(ver=2, extra=A_ICE())),
        ans(n, plain_b(ver=2, extra=ice_attrs("calleeufrag2", "calleepassword9876543210", "127.2.0.1", 32000)))])
    n = "ice_restart_chrome"
    sc(n, "Chrome-shaped offer to plain (ICE default), then an ICE restart from Chrome",
       [off(n, chrome(), **{"transport protocol": "RTP/AVP", "rtcp-mux": ["demux"]}), ans(n, plain_b()),
        off(n, chrome(ver=3, ufrag="chR2", pwd="chromepassword9876543210y"), **{"transport protocol": "RTP/AVP", "rtcp-mux": ["demux"]}),
        ans(n, plain_b(ver=2))])
    n = "ice_learned_no_ice"
    sc(n, "ICE=force; answer without ICE; a re-offer with ICE=force offers none (learned); with 'reset' it does again",
       [off(n, plain(), ICE="force"), ans(n, plain_b()),
        off(n, plain(ver=2), ICE="force"), ans(n, plain_b(ver=2)),
        off(n, plain(ver=3), ICE="force", flags=["reset"]), ans(n, plain_b(ver=3))])
    n = "ice_learned_default_reset"
    sc(n, "ICE offer (no key), answer without ICE; the ICE re-offer gets none through (learned); with 'reset' it does, with new credentials",
       [off(n, plain(extra=A_ICE())), ans(n, plain_b()),
        off(n, plain(ver=2, extra=A_ICE())), ans(n, plain_b(ver=2)),
        off(n, plain(ver=3, extra=A_ICE()), flags=["reset"]), ans(n, plain_b(ver=3, extra=B_ICE()))])
    n = "ice_default_reoffer_plain"
    sc(n, "ICE offer and answer, then a re-offer without ICE",
       [off(n, plain(extra=A_ICE())), ans(n, plain_b(extra=B_ICE())),
        off(n, plain(ver=2)), ans(n, plain_b(ver=2, extra=B_ICE()))])
    n = "ice_generate_mid"
    sc(n, "ICE=force with 'generate mid'",
       [off(n, plain(), ICE="force", flags=["generate mid"]), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_port_latching"
    sc(n, "ICE both sides, 'port latching': the caller moves, ports kept",
       [off(n, plain(extra=A_ICE()), flags=["port latching"]), ans(n, plain_b(extra=B_ICE())),
        off(n, plain(ver=2, addr="127.1.0.6", port=30040, extra=A_ICE(addr="127.1.0.6", port=30040)), flags=["port latching"]),
        ans(n, plain_b(ver=2, extra=B_ICE()))])
    n = "ice_sendonly_hold"
    sc(n, "ICE both sides; a re-offer on hold (sendonly)",
       [off(n, plain(extra=A_ICE())), ans(n, plain_b(extra=B_ICE())),
        off(n, [l if l != "a=sendrecv" else "a=sendonly" for l in plain(ver=2, extra=A_ICE())]),
        ans(n, [l if l != "a=sendrecv" else "a=recvonly" for l in plain_b(ver=2, extra=B_ICE())])])
    n = "ice_rejected_second_media"
    sc(n, "ICE offer with a second, rejected media section",
       [off(n, plain(extra=A_ICE()) + ["m=video 0 RTP/AVP 96", "a=rtpmap:96 VP8/90000"]),
        ans(n, plain_b(extra=B_ICE()) + ["m=video 0 RTP/AVP 96"])])
    n = "ice_query"
    sc(n, "ICE both sides, then query",
       [off(n, plain(extra=A_ICE())), ans(n, plain_b(extra=B_ICE())),
        {"command": "query", "call-id": n}])
    n = "ice_query_webrtc"
    sc(n, "Chrome-shaped offer to plain (ICE default, DTLS, rtcp-mux, trickle), plain answer, then query",
       [off(n, chrome(), **{"transport protocol": "RTP/AVP", "rtcp-mux": ["demux"]}), ans(n, plain_b()),
        {"command": "query", "call-id": n}])
    n = "ice_query_lite_trickle"
    sc(n, "ICE=force with ICE-lite=forward and trickle ICE, answer with ICE, then query",
       [off(n, plain(), ICE="force", flags=["trickle ICE"], **{"ICE-lite": "forward"}), ans(n, plain_b(extra=B_ICE())),
        {"command": "query", "call-id": n}])
    n = "ice_lite_chrome_loop_protect"
    sc(n, "Chrome-shaped offer, ICE-lite=both with loop protect: a=ice-lite among the session attributes",
       [off(n, chrome(), flags=["loop protect"], **{"ICE-lite": "both"}), ans(n, chrome_answer(), flags=["loop protect"])])
    n = "ice_force_relay_chrome"
    sc(n, "Chrome-shaped offer with ICE=force-relay: 10.5 passes the WebRTC lines through (a=group, a=rtcp, DTLS, rtcp-mux) and writes other priorities",
       [off(n, chrome(), ICE="force-relay"), ans(n, chrome_answer())])
    n = "ice_optional_chrome"
    sc(n, "Chrome-shaped offer with ICE=optional: the sender's ICE, DTLS and a=group pass through both ways, ours appended next to its priorities",
       [off(n, chrome(), ICE="optional"), ans(n, chrome_answer())])
    n = "ice_force_relay_chrome_answer_force"
    sc(n, "Chrome-shaped offer with ICE=force-relay, the answer with ICE=force: written as without the key",
       [off(n, chrome(), ICE="force-relay"), ans(n, chrome_answer(), ICE="force")])
    n = "ice_force_relay_chrome_sdes"
    sdes_line = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

    def sdes(lines):
        out = []
        for l in lines:
            if l.startswith("a=fingerprint") or l.startswith("a=setup"):
                continue
            out.append(l.replace("UDP/TLS/RTP/SAVPF", "RTP/SAVPF"))
            if l.startswith("a=ice-options"):
                out.append(sdes_line)
        return out
    sc(n, "ICE=force-relay with SDES instead of DTLS: the a=crypto lines pass through both ways",
       [off(n, sdes(chrome()), ICE="force-relay"), ans(n, sdes(chrome_answer()))])
    for n, o, a in (("ice_force_relay_chrome_query", chrome(), chrome_answer()),
                    ("ice_force_relay_chrome_sdes_query", sdes(chrome()), sdes(chrome_answer()))):
        sc(n, "ICE=force-relay between WebRTC ends, then query: both sides' media flagged 'passthrough'",
           [off(n, o, ICE="force-relay"), ans(n, a), {"command": "query", "call-id": n}],
           later="query: 10.5 reports the RTCP stream's local port under rtcp-mux (ngmediad 0), for DTLS "
                 "a crypto suite of its own towards the answerer, for SDES none towards the offerer "
                 "(ngmediad the passed-through line's)")
    n = "ice_force_relay_chrome_candidates"
    cands = chrome_answer()
    i = next(k for k, l in enumerate(cands) if l.startswith("a=candidate:"))
    cands[i + 1:i + 1] = ["a=candidate:99 1 udp 2122194687 127.2.0.1 32002 typ host generation 0",
                          "a=candidate:98 1 udp 2122260100 127.2.0.1 32004 typ host generation 0"]
    sc(n, "ICE=force-relay, an answer with three host candidates: our host candidate's priority from theirs in order",
       [off(n, chrome(), ICE="force-relay"), ans(n, cands)])
    n = "ice_media_address"
    sc(n, "ICE=force with 'media address': c= and candidates",
       [off(n, plain(), ICE="force", **{"media address": "127.9.9.9"}), ans(n, plain_b(extra=B_ICE()))])
    n = "ice_full_rtcp_ptime_sdes"
    sc(n, "ICE offer to RTP/SAVP with 'full rtcp attribute' and a=ptime: order of the generated lines",
       [off(n, plain(extra=["a=ptime:30"] + A_ICE()), flags=["full rtcp attribute"], **{"transport protocol": "RTP/SAVP"}),
        ans(n, ["v=0", "o=- 2738161540 1 IN IP4 127.2.0.1", "s=callee", "c=IN IP4 127.2.0.1", "t=0 0",
                "m=audio 32000 RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
                "a=sendrecv"] + B_ICE())])
    n = "ice_fragment"
    sc(n, "Chrome-shaped trickle offer, answer, then a trickle update (SDP fragment with the fragment flag)",
       [off(n, chrome(cands=[]), **{"transport protocol": "RTP/AVP", "rtcp-mux": ["demux"]}), ans(n, plain_b()),
        off(n, ["a=ice-ufrag:chRm", "m=audio 9 RTP/AVP 0", "a=mid:0",
                "a=candidate:3512147310 1 udp 2122260223 127.1.0.1 30000 typ host generation 0"],
            flags=["fragment"]),
        off(n, ["a=ice-ufrag:chRm", "m=audio 9 RTP/AVP 0", "a=mid:0", "a=end-of-candidates"], flags=["fragment"])])
    n = "ice_fragment_unknown_call"
    sc(n, "trickle update (fragment flag) for a call that does not exist",
       [off(n, ["a=ice-ufrag:chRm", "m=audio 9 RTP/AVP 0", "a=mid:0",
                "a=candidate:3512147310 1 udp 2122260223 127.1.0.1 30000 typ host generation 0"],
            flags=["fragment"])])
    n = "ice_fragment_wrong_ufrag"
    sc(n, "trickle update whose ufrag does not match the call's",
       [off(n, chrome(cands=[])), ans(n, chrome_answer()),
        off(n, ["a=ice-ufrag:zzzz", "m=audio 9 UDP/TLS/RTP/SAVPF 0", "a=mid:0",
                "a=candidate:3512147310 1 udp 2122260223 127.1.0.1 30000 typ host generation 0"],
            flags=["fragment"])])


def main():
    build()
    for name, d in S.items():
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(d, f, indent=1)
            f.write("\n")
    print(len(S), "scenarios")


if __name__ == "__main__":
    main()
