// SDP parser and writer: whatever parses must write back and parse again to
// the same text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sdp/sdp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto r = ngm::sdp::parse(in);
    if (!r) return 0;
    std::string out = ngm::sdp::write(*r);
    auto again = ngm::sdp::parse(out);
    if (!again || ngm::sdp::write(*again) != out) abort();
    for (const auto& m : r->media) (void)m.connection();
    (void)r->origin();
    return 0;
}
