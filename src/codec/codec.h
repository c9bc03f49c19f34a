// The codecs of a media section: payload types, their rtpmap/fmtp/rtcp-fb,
// and matching a codec against an ng `codec` spec.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ngm::codec {

struct Codec {
    int payloadType = -1;
    std::string format;     // the m= token as given ("0", "96")
    std::string encoding;   // "PCMU"; empty if unknown
    int clockRate = 0;
    std::string params;     // channels, e.g. "2"; empty if not given
    std::string fmtp;       // value after "fmtp:PT "
    std::vector<std::string> rtcpFb;  // values after "rtcp-fb:PT "
    bool hadRtpmap = false;

    // "PCMU/8000" or "opus/48000/2"
    std::string rtpmapValue() const;
};

using CodecList = std::vector<Codec>;

// Static payload types of RFC 3551 (encoding, clock rate, channels).
bool staticPayloadType(int pt, Codec& out);

// Does `spec` ("PCMU", "opus/48000", "opus/48000/2", "8", "all", "full")
// select codec c?
bool codecMatches(const Codec& c, std::string_view spec);

}  // namespace ngm::codec
