// One local media socket and the flow it carries: the packet path.
//
// A PacketStream belongs to one participant's side of a media section: the
// participant sends to its socket, and packets for the participant leave
// from it towards `endpoint`. Signalling (session/) wires streams together
// through the sinks; the worker loop calls onReadable.
#pragma once

#include <atomic>
#include <cstdint>

#include "media/learning.h"
#include "net/event_loop.h"
#include "net/udp_socket.h"

namespace ngm::media {

struct StreamStats {
    uint64_t packets = 0, bytes = 0, errors = 0;
    int64_t lastPacket = 0;  // wall seconds
};

// Totals of one worker: written by that worker only, read by any thread.
struct WorkerStats {
    std::atomic<uint64_t> packets{0}, bytes{0}, errors{0};
    std::atomic<int64_t> lastPacketMono{0};
    // Media sections of live calls that have received packets (refreshed
    // once a second; `statistics` media_userspace).
    std::atomic<int64_t> mediaWithTraffic{0};
    void add(std::atomic<uint64_t>& c, uint64_t n) {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

class PacketStream : public net::DatagramHandler {
  public:
    // --- wiring, set by signalling on the worker thread ---
    net::UdpSocket* socket = nullptr;
    net::EventLoop* loop = nullptr;    // the worker's loop; sends go through it when set
    bool isRtcp = false;               // the RTCP port of a non-muxed pair
    net::Endpoint advertised;          // what the participant's SDP says
    net::Endpoint endpoint;            // where packets for the participant go
    PacketStream* rtpSink = nullptr;   // RTP received here leaves through this stream
    PacketStream* rtcpSink = nullptr;  // RTCP received here leaves through this stream
    // The participant can be sent to: its media is not rejected and its SDP
    // address is not a zero (c=0.0.0.0) hold. A sendonly or inactive
    // direction does not stop media, as with rtpengine.
    bool receives = true;
    Learning learning = Learning::Delayed;
    bool asymmetric = false, strictSource = false, mediaHandover = false;
    // `unidirectional`: a packet from the participant settles the endpoint of
    // the stream it goes out on (rtpengine confirms the sinks so that one-way
    // media can go to its kernel path), so the receiver is learned no more.
    bool unidirectional = false;
    bool blockMedia = false, blockDtmf = false;
    bool silence = false;      // G.711/G.722 payloads replaced by silence
    bool dropAll = false;      // nothing received here is forwarded
    uint32_t echoSsrc = 0;     // != 0: RTP is echoed back with this SSRC
    bool natWait = false;      // send nothing to the participant before it sent something
    bool pierceNat = false;    // send empty datagrams to it until it sends something
    int dtmfPayloadType = -1;  // telephone-event PT towards us, -1 if none
    WorkerStats* totals = nullptr;

    // --- state of the packet path ---
    // The endpoint is settled: learned from the participant's packets, or
    // (asymmetric, learning off) kept as the SDP says once a packet came.
    bool confirmed = false;
    StreamStats stats;

    PacketStream() = default;
    ~PacketStream() override { dropTwin(); }
    PacketStream(const PacketStream&) = delete;
    PacketStream& operator=(const PacketStream&) = delete;

    // Signalling changed the advertised address: back to it, learn again.
    void resetLearning();
    // Monotonic ms from which delayed and heuristic learning commit after an
    // offer or answer at wall second `lastSignal`: the fourth wall second
    // after it (one value for every stream of the call).
    static int64_t learningCommitsAt(int64_t lastSignal);
    // An offer or answer of the call: learn again (keeping the endpoint
    // learned so far), committing from `commitsAtMs` on.
    void relearn(int64_t commitsAtMs);
    // The stream's socket is going away (or moving): close the connected twin.
    void dropTwin();
    // `pierce NAT`: a bare RTP header (rtpengine's) towards the
    // participant's SDP address to open a NAT binding, while nothing has
    // come from it yet.
    void pierce();

    // Hot path, entered from the worker loop: a batch read by this stream
    // (epoll) or one datagram read by the loop (io_uring).
    void onReadable() override;
    void onDatagram(uint8_t* data, size_t len, bool truncated, const sockaddr* from) override;

  private:
    // Checks one datagram (kind, source, learning): false when it is dropped
    // as an error; else `sink` is the stream it leaves through (may be null)
    // and `rtp` tells RTP from RTCP.
    bool accept(const uint8_t* data, size_t len, bool truncated, const sockaddr* from,
                int64_t nowMs, PacketStream*& sink, bool& rtp);
    void countBatch(uint64_t packets, uint64_t bytes, uint64_t errors, int64_t nowMs);
    bool acceptSource(const net::Endpoint& src, int64_t nowMs);
    void confirm(const net::Endpoint& ep);
    void forgetLearned();
    bool openTwin();
    // A connected twin to where media for the participant goes now.
    bool hasTwin() const { return twin_.isOpen() && twinPeer_ == endpoint; }
    // Heuristic learning: the best-ranked source since learning began.
    net::Endpoint candidate_;
    int candidateRank_ = -1;
    // With io_uring: a socket on our port connected to the confirmed
    // endpoint; packets for the participant leave through it.
    net::UdpSocket twin_;
    net::Endpoint twinPeer_;
    int64_t lastTwinMs_ = -1000000;  // when learning last opened a twin
    bool twinWanted_ = false;        // settled, but the twin budget said later
    // Monotonic ms from which learning commits (0: at once).
    int64_t learnFromMs_ = 0;
};

}  // namespace ngm::media
