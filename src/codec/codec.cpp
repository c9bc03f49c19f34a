#include "codec/codec.h"

#include "common/strings.h"

namespace ngm::codec {

std::string Codec::rtpmapValue() const {
    std::string s = encoding;
    s += '/';
    s += std::to_string(clockRate);
    if (!params.empty()) {
        s += '/';
        s += params;
    }
    return s;
}

bool staticPayloadType(int pt, Codec& out) {
    struct Entry {
        int pt;
        const char* name;
        int rate;
        const char* ch;
    };
    // RFC 3551 §6, table 4 and 5 (audio and video with fixed assignments).
    static const Entry kTable[] = {
        {0, "PCMU", 8000, ""},   {3, "GSM", 8000, ""},     {4, "G723", 8000, ""},
        {5, "DVI4", 8000, ""},   {6, "DVI4", 16000, ""},   {7, "LPC", 8000, ""},
        {8, "PCMA", 8000, ""},   {9, "G722", 8000, ""},    {10, "L16", 44100, ""},
        {11, "L16", 44100, "2"},  {12, "QCELP", 8000, ""},  {13, "CN", 8000, ""},
        {14, "MPA", 90000, ""},  {15, "G728", 8000, ""},   {16, "DVI4", 11025, ""},
        {17, "DVI4", 22050, ""}, {18, "G729", 8000, ""},   {25, "CelB", 90000, ""},
        {26, "JPEG", 90000, ""}, {28, "nv", 90000, ""},    {31, "H261", 90000, ""},
        {32, "MPV", 90000, ""},  {33, "MP2T", 90000, ""},  {34, "H263", 90000, ""},
    };
    for (const auto& e : kTable) {
        if (e.pt == pt) {
            out.encoding = e.name;
            out.clockRate = e.rate;
            out.params = e.ch;
            return true;
        }
    }
    return false;
}

bool codecMatches(const Codec& c, std::string_view spec) {
    if (spec == "all" || spec == "full") return true;
    auto parts = split(spec, '/');
    if (parts.empty() || c.encoding.empty()) return false;
    // rtpengine matches names case-insensitively, and never by payload type number.
    if (!iequals(parts[0], c.encoding)) return false;
    if (parts.size() > 1 && !parts[1].empty()) {
        auto rate = parseInt<int>(parts[1]);
        if (!rate || *rate != c.clockRate) return false;
    }
    if (parts.size() > 2 && !parts[2].empty()) {
        std::string_view ch = c.params.empty() ? std::string_view("1") : std::string_view(c.params);
        if (parts[2] != ch) return false;
    }
    return true;
}

}  // namespace ngm::codec
