// Fuzzes the ng framing scanners (bencode/framing.h) against the decoders.
//
// The TCP listener calls a scanner on whatever has arrived so far and acts on
// its answer: dispatch the first n bytes, wait for more, or close. For that to
// be right however the peer's bytes are split into reads, and to agree with
// what the dispatcher then decodes, these must hold for any input `in`
// (f(k) is the answer for the first k bytes):
//
//  1. Stream consistency: f(0..size) reads 0 ... 0 and then either n ... n
//     from k = n on (the message is complete the moment its last byte
//     arrives and stays so, whatever follows), or Error ... Error (once
//     framing is lost no further byte brings it back). Every error reason
//     starts with "bencode: " or "JSON: ".
//  2. bencode agrees with the decoder exactly (same depth bound, no item
//     bound): f(size) = n > 0 if and only if the first n bytes decode, and
//     no other prefix does. The decoder tells which prefix that is: it
//     accepts all of `in`, or stops at "trailing data after top-level value
//     at offset K" after decoding in[0, K).
//  3. JSON: the scanner follows structure only (strings, escapes, brackets)
//     and leaves content to the decoder, so
//     - what it frames is an object or array: after leading whitespace a
//       '{' or '[', and at its end the bracket that closes it;
//     - if the decoder accepts a prefix whose value is an object or array,
//       f(size) is where that value's closing bracket ends;
//     - if f(size) = n > 0, the decoder, given in[0, n), either accepts it or
//       fails on content: never for want of input ("unterminated ...",
//       "unexpected end of input"), which would mean the scanner cut the
//       message short.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "bencode/framing.h"
#include "bencode/value.h"

namespace {

using ngm::Result;
using namespace ngm::bencode;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_framing: %s\n", what);
        std::abort();
    }
}

// The decoders with the scanners' depth bound and no item bound, so that
// only grammar can make them disagree.
const DecodeLimits kLimits{kMaxFramingDepth, std::numeric_limits<size_t>::max()};

// Prefix length the decoder accepted inside `in`, from its verdict on all of it.
std::optional<size_t> decodedPrefix(const Result<void>& whole, size_t size) {
    if (whole) return size;
    constexpr std::string_view kTrailing = "trailing data after top-level value at offset ";
    const std::string& reason = whole.error().reason;
    auto at = reason.find(kTrailing);
    if (at == std::string::npos) return std::nullopt;
    return std::stoul(reason.substr(at + kTrailing.size()));
}

bool wantsMoreInput(const std::string& reason) {
    return reason.find("unterminated") != std::string::npos ||
           reason.find("unexpected end of input") != std::string::npos ||
           reason.find("exceeds remaining input") != std::string::npos;
}

// Property 1 for one scanner over the prefixes of `in`: all of them when
// `in` is short (up to 256 bytes), otherwise a spread of them, the last
// ones and those around the extent.
template <class Scan>
void checkStreamConsistency(std::string_view in, const Result<size_t>& whole, Scan scan,
                            std::string_view prefix) {
    auto describe = [&](const Result<size_t>& r) -> long {
        if (r) return static_cast<long>(*r);
        check(r.error().reason.starts_with(prefix), "framing error reason without prefix");
        return -1;
    };
    const long final = describe(whole);
    check(final <= static_cast<long>(in.size()), "extent beyond the input");
    auto expect = [&](size_t k) {
        long got = describe(scan(in.substr(0, k)));
        if (final > 0) {
            if (static_cast<long>(k) < final)
                check(got == 0, "a strict prefix of a complete message is not 'need more'");
            else
                check(got == final, "a complete message changed extent as more bytes arrived");
        } else if (final == 0) {
            check(got == 0, "a prefix of an incomplete message is complete or invalid");
        } else {
            check(got <= 0, "a prefix of an invalid message is complete");
        }
        return got;
    };
    if (in.size() <= 256) {
        bool lost = false;
        for (size_t k = 0; k <= in.size(); k++) {
            long got = expect(k);
            check(!lost || got == -1, "framing came back after an error");
            lost = got == -1;
        }
        return;
    }
    for (size_t k = 0; k <= in.size(); k += in.size() / 61 + 1) expect(k);
    for (size_t k = in.size() - 16; k <= in.size(); k++) expect(k);
    if (final > 0) {
        expect(static_cast<size_t>(final) - 1);
        expect(static_cast<size_t>(final));
    }
}

void checkBencode(std::string_view in) {
    auto scan = [](std::string_view s) { return bencodeExtent(s); };
    auto extent = scan(in);
    checkStreamConsistency(in, extent, scan, "bencode: ");

    Document doc;
    auto whole = decode(in, doc, kLimits);
    auto decoded = decodedPrefix(whole, in.size());
    if (decoded) {
        check(extent && *extent == *decoded,
              "bencode: the decoder accepts a prefix the scanner does not frame");
    } else {
        check(!extent || *extent == 0, "bencode: the scanner frames what the decoder rejects");
    }
    if (extent && *extent > 0) {
        Document prefix;
        check(decode(in.substr(0, *extent), prefix, kLimits).ok(),
              "bencode: the framed message does not decode");
    }
}

void checkJson(std::string_view in) {
    auto scan = [](std::string_view s) { return jsonExtent(s); };
    auto extent = scan(in);
    checkStreamConsistency(in, extent, scan, "JSON: ");

    Document doc;
    auto whole = decodeJson(in, doc, kLimits);
    auto decoded = decodedPrefix(whole, in.size());
    size_t lead = in.find_first_not_of(" \t\r\n");
    bool container = lead != std::string_view::npos && (in[lead] == '{' || in[lead] == '[');
    if (decoded && container) {
        // Where the value ends: the decoder's prefix includes whitespace after it.
        size_t end = in.substr(0, *decoded).find_last_not_of(" \t\r\n") + 1;
        check(extent && *extent == end,
              "JSON: the decoder accepts an object the scanner does not frame");
    }
    if (extent && *extent > 0) {
        check(container, "JSON: framed something other than an object or array");
        check(in[*extent - 1] == (in[lead] == '{' ? '}' : ']'),
              "JSON: the framed message does not end with the bracket that opened it");
        Document prefix;
        auto r = decodeJson(in.substr(0, *extent), prefix, kLimits);
        check(r || !wantsMoreInput(r.error().reason),
              "JSON: the framed message ends before the decoder's message does");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    checkBencode(in);
    checkJson(in);
    // messageExtent is the one the transports call: it must pick as the
    // dispatcher does.
    size_t lead = in.find_first_not_of(" \t\r\n");
    bool json = lead != std::string_view::npos && in[lead] == '{';
    auto picked = messageExtent(in);
    auto direct = json ? jsonExtent(in) : bencodeExtent(in);
    check(picked.ok() == direct.ok() && (!picked || *picked == *direct),
          "messageExtent disagrees with the scanner it should pick");
    return 0;
}
