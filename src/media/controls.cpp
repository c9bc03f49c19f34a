#include "media/controls.h"

#include <span>

#include "media/packet.h"

namespace ngm::media {

// Hot path, when a control is on.
Verdict ControlsStage::process(PacketContext& p) {
    if (c_.dropAll) return Verdict::Drop;
    if (!p.rtp) return Verdict::Forward;
    int pt = p.data[1] & 0x7f;
    bool dtmf = c_.dtmfPayloadType >= 0 && pt == c_.dtmfPayloadType;
    if (dtmf ? c_.blockDtmf : c_.blockMedia) return Verdict::Drop;
    if (c_.silence && !dtmf && (pt == 0 || pt == 8 || pt == 9)) {
        RtpHeader h;
        if (parseRtp(std::span<const uint8_t>(p.data, p.len), h))
            fillSilence(pt == 0   ? SilenceCodec::Pcmu
                        : pt == 8 ? SilenceCodec::Pcma
                                  : SilenceCodec::G722,
                        std::span<uint8_t>(p.data + h.headerLength, h.payloadLength));
    }
    if (c_.echoSsrc) rewriteSsrc(std::span<uint8_t>(p.data, p.len), c_.echoSsrc);
    return Verdict::Forward;
}

}  // namespace ngm::media
