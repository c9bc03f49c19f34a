// The value of an SDP a=candidate attribute (RFC 8839 §5.1) and a trickle
// ICE fragment (RFC 8840, ng `fragment`): the parsers never crash or read
// past the input, and a candidate they accept writes back to text that
// parses and writes to the same text again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "session/ice_negotiation.h"

using namespace ngm::session;

namespace {

void check(bool ok, const char* what, const std::string& text) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_ice_candidate: %s: %s\n", what, text.c_str());
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto frag = parseIceFragment(in)) {
        MediaIce ice;
        for (const auto& s : frag->sections) {
            ice.peerUfrag = s.ufrag;
            check(applyIceFragment(s, ice), "a section's own ufrag does not match",
                  std::string(in));
        }
    }
    auto a = parseIceCandidate(in);
    if (!a) return 0;
    const std::string w = formatIceCandidate(*a);
    auto b = parseIceCandidate(w);
    check(b.ok(), "written value does not parse", w);
    check(formatIceCandidate(*b) == w, "write is not stable", w);
    check(b->port == a->port && b->priority == a->priority && b->component == a->component,
          "parse(write(x)) != x", w);
    return 0;
}
