// A fake media endpoint for the integration suite: one UDP socket on
// 127.0.0.1 that sends RTP/RTCP (or any bytes) to the daemon and receives
// what the daemon relays, with the source it came from.
//
// Nothing here depends on GoogleTest.
#pragma once

#include <chrono>
#include <cstdint>
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

struct Datagram {
    Bytes bytes;
    std::string address;  // source address, dotted quad
    uint16_t port = 0;    // source port
};

class RtpPeer {
  public:
    // Binds 127.0.0.1:port; port 0 lets the kernel choose, outside the media
    // port area of the suite (see ng_client.h) so it never takes a daemon's port.
    explicit RtpPeer(uint16_t port = 0);
    ~RtpPeer();
    RtpPeer(const RtpPeer&) = delete;
    RtpPeer& operator=(const RtpPeer&) = delete;

    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    uint16_t port() const { return port_; }

    // One datagram to 127.0.0.1:toPort.
    bool sendTo(uint16_t toPort, std::span<const uint8_t> bytes);
    bool sendRtp(uint16_t toPort, uint8_t payloadType, uint16_t seq, uint32_t timestamp,
                 uint32_t ssrc, std::span<const uint8_t> payload) {
        return sendTo(toPort, rtpPacket(payloadType, seq, timestamp, ssrc, payload));
    }
    bool sendRtcp(uint16_t toPort, uint32_t ssrc) {
        return sendTo(toPort, rtcpReceiverReport(ssrc));
    }

    // The next datagram, or nothing when none comes within `timeout`.
    std::optional<Datagram> receive(milliseconds timeout);
    // Everything that arrives until `quiet` passes without a datagram.
    std::vector<Datagram> drain(milliseconds quiet);

  private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

// An endpoint that receives RTCP on RTP port + 1, the SDP default (RFC 3264
// §5.1): two peers on consecutive ports outside the media port area.
struct RtpRtcpPeer {
    std::unique_ptr<RtpPeer> rtp, rtcp;
    // Finds and binds a free consecutive pair; false if none was found.
    bool bind();
};

}  // namespace ngm::itest
