// Codecs built the way the tests name them.
#pragma once

#include <string>

#include "codec/codec.h"

namespace ngm::codec::testing {

inline Codec codec(std::string format, std::string encoding, int rate, std::string params = "") {
    Codec c;
    c.format = format;
    c.payloadType = std::stoi(format);
    c.encoding = std::move(encoding);
    c.clockRate = rate;
    c.params = std::move(params);
    return c;
}

}  // namespace ngm::codec::testing
