// GoogleTest assertions on relayed media, shared by the suites whose peers
// sit on several addresses (media_bridging_test.cpp, netns_test.cpp): a
// packet must come out byte for byte and from the exact address and port.
#pragma once

#include <gtest/gtest.h>

#include <iomanip>
#include <sstream>
#include <string>

#include "rtp_peer.h"

namespace ngm::itest {

// How long "nothing arrives" waits by default.
inline constexpr milliseconds kNothingWait{250};

// A 172-byte G.711 packet (20 ms): distinct bytes per seq and direction.
inline Bytes g711(uint16_t seq, uint32_t ssrc) {
    return rtpPacket(0, seq, 160u * seq, ssrc, patternPayload(160, uint8_t(seq + ssrc)), seq == 0);
}

inline std::string hex(const Bytes& b, size_t max = 48) {
    std::ostringstream o;
    for (size_t i = 0; i < b.size() && i < max; i++)
        o << std::hex << std::setw(2) << std::setfill('0') << int(b[i]);
    if (b.size() > max) o << "...";
    o << " (" << std::dec << b.size() << " bytes)";
    return o.str();
}

// The next datagram at `at` is exactly `expected`, from `from`.
inline ::testing::AssertionResult arrives(RtpPeer& at, const Bytes& expected, const Endpoint& from,
                                          Datagram* got = nullptr,
                                          milliseconds timeout = milliseconds(1000)) {
    auto d = at.receive(timeout);
    if (!d)
        return ::testing::AssertionFailure()
               << "nothing arrived at " << at.endpoint() << " (expected " << hex(expected) << ")";
    if (d->bytes != expected)
        return ::testing::AssertionFailure() << "at " << at.endpoint() << " got " << hex(d->bytes)
                                             << ", expected " << hex(expected);
    if (d->from() != from)
        return ::testing::AssertionFailure() << "at " << at.endpoint() << " the packet came from "
                                             << d->from() << ", expected " << from;
    if (got) *got = std::move(*d);
    return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult nothingArrives(RtpPeer& at, milliseconds wait = kNothingWait) {
    auto got = at.drain(wait);
    if (got.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << got.size() << " datagram(s) arrived at " << at.endpoint() << ", first "
           << hex(got[0].bytes) << " from " << got[0].from();
}

// `from` sends `pkt` to the daemon's socket `to`; it must come out at `at`
// unchanged, from the daemon's socket `via`.
inline ::testing::AssertionResult relays(RtpPeer& from, const Endpoint& to, RtpPeer& at,
                                         const Endpoint& via, const Bytes& pkt,
                                         Datagram* got = nullptr) {
    if (!from.sendTo(to, pkt))
        return ::testing::AssertionFailure() << "send to " << to << " failed";
    return arrives(at, pkt, via, got);
}

}  // namespace ngm::itest
