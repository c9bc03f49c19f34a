// The ng `codec` manipulations that work without transcoding (strip,
// except, offer, mask), and the answer's codecs against its offer.
#pragma once

#include <string>
#include <vector>

#include "codec/codec.h"

namespace ngm::codec {

// The `codec` dictionary of an ng offer/answer (codec-strip, codec-except,
// ...): codec specs as given, in order.
struct CodecFlags {
    std::vector<std::string> strip, except, offer, transcode, mask, consume, accept, set;
    bool any() const {
        return !strip.empty() || !except.empty() || !offer.empty() || !transcode.empty() ||
               !mask.empty() || !consume.empty() || !accept.empty() || !set.empty();
    }
};

// Applies strip/except/offer/mask to a list. Without `all`, named codecs go
// and the order stays; with `all` only `offer` (in its order) and
// `except`/`transcode` (in the list's order) stay. A result without codecs
// is the original list.
CodecList manipulateCodecs(const CodecList& in, const CodecFlags& cf);

// Same payload type for the same codec (name any case, rate, channels).
bool sameCodec(const Codec& a, const Codec& b);

// The answer's codecs that were offered (same payload type, same codec), in
// the answer's order; with none in common, the first offered codec that
// carries media.
CodecList offeredOnly(const CodecList& answer, const CodecList& offered);

// The first codec, plus the DTMF events (`single codec`).
CodecList firstCodecAndDtmf(const CodecList& in);

}  // namespace ngm::codec
