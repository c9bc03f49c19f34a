// Fuzzes the bencode decoder. Accepted input is canonical bencode, so it must
// re-encode to exactly its own bytes; its JSON form must decode again and be a
// fixed point after one more hop (non-UTF-8 bytes become \u00XX once).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bencode/value.h"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_bencode: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ngm::bencode;
    std::string_view in(reinterpret_cast<const char*>(data), size);

    Document doc;
    if (auto r = decode(in, doc); !r) {
        check(r.error().reason.starts_with("bencode: "), "error reason without prefix");
        return 0;
    }
    std::string once;
    encode(doc.root, once);
    check(once == in, "decoded input does not re-encode to the same bytes");

    Document again;
    check(decode(once, again).ok(), "re-encoded bencode does not decode");
    std::string twice;
    encode(again.root, twice);
    check(twice == once, "bencode round trip changed the encoding");

    std::string json;
    encodeJson(doc.root, json);
    Document fromJson;
    check(decodeJson(json, fromJson).ok(), "JSON of a decoded value does not decode");
    std::string json2;
    encodeJson(fromJson.root, json2);
    Document fromJson2;
    check(decodeJson(json2, fromJson2).ok(), "JSON after one hop does not decode");
    std::string json3;
    encodeJson(fromJson2.root, json3);
    check(json3 == json2, "JSON encoding is not a fixed point after one hop");
    return 0;
}
