#include "codec/manipulate.h"

#include <algorithm>

#include "common/strings.h"

namespace ngm::codec {

CodecList manipulateCodecs(const CodecList& in, const CodecFlags& cf) {
    if (!cf.any()) return in;
    auto matchesAny = [](const Codec& c, const std::vector<std::string>& specs) {
        for (const auto& s : specs)
            if (codecMatches(c, s)) return true;
        return false;
    };
    auto hasAll = [](const std::vector<std::string>& specs) {
        for (const auto& s : specs)
            if (s == "all" || s == "full") return true;
        return false;
    };
    bool all = hasAll(cf.strip) || hasAll(cf.mask) || hasAll(cf.consume);
    CodecList out;
    if (!all) {
        for (const auto& c : in)
            if (!matchesAny(c, cf.strip) && !matchesAny(c, cf.mask) && !matchesAny(c, cf.consume))
                out.push_back(c);
    } else {
        // Everything stripped except what `offer` (in its order) and
        // `except`/`transcode` (in the original order) bring back.
        auto taken = [&](const Codec& c) {
            return std::any_of(out.begin(), out.end(),
                               [&](const Codec& x) { return x.format == c.format; });
        };
        for (const auto& spec : cf.offer)
            for (const auto& c : in)
                if (codecMatches(c, spec) && !taken(c)) out.push_back(c);
        for (const auto& c : in)
            if ((matchesAny(c, cf.except) || matchesAny(c, cf.transcode)) && !taken(c))
                out.push_back(c);
    }
    // Stripping everything is an error: keep the original list.
    if (out.empty()) return in;
    return out;
}

bool sameCodec(const Codec& a, const Codec& b) {
    if (a.format != b.format) return false;
    if (a.encoding.empty() || b.encoding.empty()) return a.encoding.empty() && b.encoding.empty();
    auto channels = [](const Codec& c) { return c.params.empty() ? std::string("1") : c.params; };
    return iequals(a.encoding, b.encoding) && a.clockRate == b.clockRate &&
           channels(a) == channels(b);
}

CodecList offeredOnly(const CodecList& answer, const CodecList& offered) {
    CodecList kept;
    for (const auto& c : answer)
        for (const auto& o : offered)
            if (sameCodec(c, o)) {
                kept.push_back(c);
                break;
            }
    // Nothing in common: the first offered codec that carries media (not
    // DTMF events or comfort noise) stands in for the answer's.
    if (kept.empty())
        for (const auto& o : offered)
            if (!iequals(o.encoding, "telephone-event") && !iequals(o.encoding, "CN")) {
                kept.push_back(o);
                break;
            }
    return kept;
}

CodecList firstCodecAndDtmf(const CodecList& in) {
    if (in.size() <= 1) return in;
    CodecList kept{in.front()};
    for (size_t k = 1; k < in.size(); k++)
        if (iequals(in[k].encoding, "telephone-event")) kept.push_back(in[k]);
    return kept;
}

}  // namespace ngm::codec
