// RTP/RTCP packet parsers: nothing may read past the input (ASan), and
// whatever parses must be self-consistent.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "media/packet.h"
#include "media/rtcp_timing.h"

using namespace ngm::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> in(data, size);

    const PacketKind kind = classify(in);
    if (kind == PacketKind::Rtp && (size < 12 || data[0] < 128 || data[0] > 191)) abort();
    if (kind == PacketKind::Rtcp && (size < 8 || data[0] < 128 || data[0] > 191)) abort();
    if (kind == PacketKind::Stun && (size < 20 || data[0] > 3)) abort();

    RtpHeader h;
    if (parseRtp(in, h)) {
        if (size_t(h.headerLength) + h.payloadLength + h.paddingLength != size) abort();
        if (h.headerLength < 12 || (h.headerLength & 3) != 0) abort();
        if ((data[0] & 0x20) != (h.paddingLength ? 0x20 : 0)) abort();
        if (h.payloadType > 127) abort();

        DtmfEvent e;
        auto payload = in.subspan(h.headerLength, h.payloadLength);
        if (parseDtmf(payload, e) != (payload.size() >= 4)) abort();
        if (e.volume > 63 && payload.size() >= 4) abort();

        // Rewriting the SSRC changes nothing else.
        std::vector<uint8_t> copy(data, data + size);
        rewriteSsrc(copy, ~h.ssrc);
        RtpHeader h2;
        if (!parseRtp(copy, h2) || h2.ssrc != ~h.ssrc || h2.headerLength != h.headerLength ||
            h2.payloadLength != h.payloadLength || h2.seq != h.seq)
            abort();
        fillSilence(SilenceCodec::G722,
                    std::span<uint8_t>(copy).subspan(h.headerLength, h.payloadLength));
        if (std::memcmp(copy.data(), data, 8) != 0) abort();
    }

    {
        RtcpTiming t;
        bool ok = parseRtcpTiming(in, t);
        if (t.blockCount > RtcpTiming::kMaxBlocks) abort();
        if (ok && (size < 8 || (data[1] != 200 && data[1] != 201))) abort();
        if (t.hasSenderReport && size < 28) abort();
    }
    if (validRtcp(in)) {
        if (size < 8 || size % 4 != 0 || data[1] < 200 || data[1] > 207) abort();
        if (kind != PacketKind::Rtcp) abort();
    }
    // Pass-through SRTCP: trailers of every length an SDES suite gives.
    for (size_t trailer : {size_t(0), size_t(14), size_t(20)}) {
        if (!validSrtcpHead(in, trailer)) continue;
        if (size < 8 + trailer || data[1] < 200 || data[1] > 207 || (data[0] >> 6) != 2) abort();
        if (kind != PacketKind::Rtcp) abort();
        if ((size_t(data[2] << 8 | data[3]) + 1) * 4 > size - trailer) abort();
    }
    // AVPF towards AVP: never longer, and what is left has no feedback and
    // walks as cleanly as the input did.
    {
        std::vector<uint8_t> copy(data, data + size);
        const size_t kept = stripRtcpFeedback(copy);
        if (kept > size) abort();
        if (kept < size) {
            for (size_t at = 0; at < kept;) {
                if (kept - at < 4 || copy[at + 1] == 205 || copy[at + 1] == 206) abort();
                at += (size_t(copy[at + 2] << 8 | copy[at + 3]) + 1) * 4;
                if (at > kept) abort();
            }
        }
    }
    const uint32_t ssrc = rtcpSenderSsrc(in);
    if (size < 8 && ssrc != 0) abort();

    DtmfEvent e;
    (void)parseDtmf(in, e);
    return 0;
}
