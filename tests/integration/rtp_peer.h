// A fake media endpoint for the integration suite: one UDP socket on an
// IPv4 or IPv6 address (127.0.0.1 unless told otherwise) that sends
// RTP/RTCP (or any bytes) to the daemon and receives what the daemon relays,
// with the source it came from.
//
// Nothing here depends on GoogleTest.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ngm::itest {

using std::chrono::milliseconds;

using Bytes = std::vector<uint8_t>;

// RFC 3550 §5.1 fixed header (version 2, no padding, extension or CSRCs)
// followed by `payload`.
Bytes rtpPacket(uint8_t payloadType, uint16_t seq, uint32_t timestamp, uint32_t ssrc,
                std::span<const uint8_t> payload, bool marker = false);
// `size` payload bytes, each (seed + i) & 0xff: distinct packets for distinct seeds.
Bytes patternPayload(size_t size, uint8_t seed);
// RFC 3550 §6.4.2 receiver report with one report block: `81 c9 00 07`, the
// sender SSRC, then a 24-byte report block about `sourceSsrc` (32 bytes).
Bytes rtcpReceiverReport(uint32_t ssrc, uint32_t sourceSsrc = 0x11223344, uint8_t seed = 0);

// A UDP address and port; the address is a dotted quad or an IPv6 literal
// without brackets ("::1").
struct Endpoint {
    std::string address;
    uint16_t port = 0;
    bool operator==(const Endpoint&) const = default;
};
// "127.0.0.1:5000", "[::1]:5000".
std::ostream& operator<<(std::ostream& o, const Endpoint& e);
bool isIpv6(const std::string& address);

struct Datagram {
    Bytes bytes;
    std::string address;  // source address
    uint16_t port = 0;    // source port
    // The IPv4 TOS byte or IPv6 traffic class it arrived with, once
    // RtpPeer::reportTos() is on; -1 before.
    int tos = -1;
    Endpoint from() const { return {address, port}; }
};

class RtpPeer {
  public:
    // Binds address:port; port 0 lets the kernel choose, outside the media
    // port area of the suite (see ng_client.h) so it never takes a daemon's
    // port. The address must be local to the calling thread's network
    // namespace, which the socket stays in.
    explicit RtpPeer(std::string address = "127.0.0.1", uint16_t port = 0);
    explicit RtpPeer(uint16_t port) : RtpPeer("127.0.0.1", port) {}
    ~RtpPeer();
    RtpPeer(const RtpPeer&) = delete;
    RtpPeer& operator=(const RtpPeer&) = delete;

    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    uint16_t port() const { return port_; }
    const std::string& address() const { return address_; }
    Endpoint endpoint() const { return {address_, port_}; }

    // One datagram to `to`.
    bool sendTo(const Endpoint& to, std::span<const uint8_t> bytes);
    // One datagram to the loopback address of the peer's family (127.0.0.1
    // or ::1), where the suite's daemons listen unless told otherwise.
    bool sendTo(uint16_t toPort, std::span<const uint8_t> bytes);
    bool sendRtp(uint16_t toPort, uint8_t payloadType, uint16_t seq, uint32_t timestamp,
                 uint32_t ssrc, std::span<const uint8_t> payload) {
        return sendTo(toPort, rtpPacket(payloadType, seq, timestamp, ssrc, payload));
    }
    bool sendRtcp(uint16_t toPort, uint32_t ssrc) {
        return sendTo(toPort, rtcpReceiverReport(ssrc));
    }

    // Every datagram received from now on carries its TOS byte (IPv4) or
    // traffic class (IPv6) in Datagram::tos.
    bool reportTos();

    // The next datagram, or nothing when none comes within `timeout`.
    std::optional<Datagram> receive(milliseconds timeout);
    // Everything that arrives until `quiet` passes without a datagram.
    std::vector<Datagram> drain(milliseconds quiet);

  private:
    std::string address_;
    int fd_ = -1;
    uint16_t port_ = 0;
};

// An endpoint that receives RTCP on RTP port + 1, the SDP default (RFC 3264
// §5.1): two peers on consecutive ports outside the media port area.
struct RtpRtcpPeer {
    std::unique_ptr<RtpPeer> rtp, rtcp;
    // Finds and binds a free consecutive pair on `address`; false if none
    // was found.
    bool bind(const std::string& address = "127.0.0.1");
};

}  // namespace ngm::itest
