// Fuzzes the JSON decoder. Whatever decodes must re-encode to JSON that decodes
// to the same encoding, and survive a bencode round trip unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bencode/value.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_json: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ngm::bencode;
    std::string_view in(reinterpret_cast<const char*>(data), size);

    Document doc;
    if (auto r = decodeJson(in, doc); !r) {
        check(r.error().reason.starts_with("JSON: "), "error reason without prefix");
        return 0;
    }
    std::string json;
    encodeJson(doc.root, json);
    Document again;
    check(decodeJson(json, again).ok(), "re-encoded JSON does not decode");
    std::string json2;
    encodeJson(again.root, json2);
    check(json2 == json, "JSON round trip changed the encoding");

    std::string bencoded;
    encode(doc.root, bencoded);
    Document fromBencode;
    check(decode(bencoded, fromBencode).ok(), "bencode of a decoded value does not decode");
    std::string bencoded2;
    encode(fromBencode.root, bencoded2);
    check(bencoded2 == bencoded, "bencode round trip changed the encoding");
    std::string json3;
    encodeJson(fromBencode.root, json3);
    check(json3 == json, "JSON -> bencode -> JSON changed the encoding");
    return 0;
}
