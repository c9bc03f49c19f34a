// The value of an SDP a=crypto attribute (RFC 4568): parseCrypto never
// crashes or reads past the input, and what it accepts writes back to text
// that parses to the same value and writes to the same text again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/sdes.h"

using namespace ngm::crypto;

namespace {

void check(bool ok, const char* what, const std::string& text) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_sdes: %s: %s\n", what, text.c_str());
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    auto a = parseCrypto(in);
    if (!a) return 0;
    const std::string w = writeCrypto(*a);
    auto b = parseCrypto(w);
    check(b.ok(), "written value does not parse", w);
    check(*a == *b, "parse(write(x)) != x", w);
    check(writeCrypto(*b) == w, "write is not stable", w);
    return 0;
}
