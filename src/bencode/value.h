// Bencode/JSON value model shared by the ng decoder and encoder.
//
// A Document owns the input buffer (or nothing, for replies it builds) and an
// arena for strings that could not stay views (JSON escapes, built replies).
// Values hold std::string_view into either, so decoding copies no strings.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace ngm::bencode {

class Value {
public:
    enum class Type : uint8_t { String, Integer, List, Dict };
    using DictEntry = std::pair<std::string_view, Value>;

    Value() : type_(Type::Dict) {}
    static Value string(std::string_view s) { Value v(Type::String); v.str_ = s; return v; }
    static Value integer(int64_t i) { Value v(Type::Integer); v.int_ = i; return v; }
    static Value list() { return Value(Type::List); }
    static Value dict() { return Value(Type::Dict); }

    Type type() const { return type_; }
    bool isString() const { return type_ == Type::String; }
    bool isInteger() const { return type_ == Type::Integer; }
    bool isList() const { return type_ == Type::List; }
    bool isDict() const { return type_ == Type::Dict; }

    std::string_view str() const { return str_; }
    int64_t integer() const { return int_; }
    const std::vector<Value>& items() const { return list_; }
    std::vector<Value>& items() { return list_; }
    const std::vector<DictEntry>& entries() const { return dict_; }
    std::vector<DictEntry>& entries() { return dict_; }

    // Dictionary lookup: first entry with that key, or nullptr.
    const Value* find(std::string_view key) const {
        for (const auto& e : dict_)
            if (e.first == key) return &e.second;
        return nullptr;
    }
    // Builders (for replies). Keys and strings must outlive the value:
    // use Document::intern for anything not static.
    Value& add(std::string_view key, Value v) {
        dict_.emplace_back(key, std::move(v));
        return dict_.back().second;
    }
    Value& push(Value v) {
        list_.push_back(std::move(v));
        return list_.back();
    }

private:
    explicit Value(Type t) : type_(t) {}
    Type type_;
    int64_t int_ = 0;
    std::string_view str_;
    std::vector<Value> list_;
    std::vector<DictEntry> dict_;
};

// Owns the storage the values point into.
class Document {
public:
    Value root;
    // Copy a string into the document's arena; the view stays valid for the
    // document's lifetime.
    std::string_view intern(std::string s) {
        arena_.push_back(std::move(s));
        return arena_.back();
    }
    std::string_view intern(std::string_view s) { return intern(std::string(s)); }

private:
    std::deque<std::string> arena_;
};

struct DecodeLimits {
    size_t maxDepth = 32;        // nesting of lists/dicts
    size_t maxItems = 100000;    // total values in one message
};

// Decodes exactly one bencode value spanning all of `in` (trailing bytes are an
// error) into doc.root. String values are views into `in`, which must outlive
// `doc`. On error the reason names what is wrong and its offset ("bencode: ...
// at offset N"), and doc.root is left empty.
Result<void> decode(std::string_view in, Document& doc, const DecodeLimits& limits = {});

// Decodes one JSON value spanning all of `in` (surrounding whitespace allowed).
// Objects become Dict, arrays List, strings String (unescaped into the arena
// when they contain escapes), integers Integer; true/false become Integer 1/0,
// null becomes an empty String, non-integer numbers are kept as String of their
// text. Errors as for decode(), their reasons starting "JSON: ".
Result<void> decodeJson(std::string_view in, Document& doc, const DecodeLimits& limits = {});

// Appends the bencode encoding of v to out (dict keys in insertion order, as
// rtpengine does).
void encode(const Value& v, std::string& out);
// Appends compact JSON (strings escaped per RFC 8259, non-UTF-8 bytes escaped
// as \u00XX).
void encodeJson(const Value& v, std::string& out);

}  // namespace ngm::bencode
