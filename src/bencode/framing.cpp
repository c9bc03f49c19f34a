#include "bencode/framing.h"

namespace ngm::bencode {

Result<size_t> bencodeExtent(std::string_view in, size_t maxDepth) {
    size_t i = 0, depth = 0;
    do {
        if (i >= in.size()) return 0;
        char c = in[i];
        if (c == 'e') {
            if (depth == 0) return Error{"bencode: not a bencode value"};
            depth--;
            i++;
        } else if (c == 'd' || c == 'l') {
            if (++depth > maxDepth) return Error{"bencode: not a bencode value"};
            i++;
        } else if (c == 'i') {
            size_t e = in.find('e', i);
            if (e == std::string_view::npos) {
                if (in.size() - i > 24) return Error{"bencode: not a bencode value"};
                return 0;
            }
            i = e + 1;
        } else if (c >= '0' && c <= '9') {
            size_t colon = in.find(':', i);
            if (colon == std::string_view::npos) {
                if (in.size() - i > 12) return Error{"bencode: not a bencode value"};
                return 0;
            }
            size_t len = 0;
            for (size_t k = i; k < colon; k++) {
                if (in[k] < '0' || in[k] > '9' || colon - i > 9) return Error{"bencode: not a bencode value"};
                len = len * 10 + (in[k] - '0');
            }
            i = colon + 1 + len;
            if (i > in.size()) return 0;
        } else {
            return Error{"bencode: not a bencode value"};
        }
    } while (depth > 0);
    return i;
}

Result<size_t> jsonExtent(std::string_view in, size_t maxDepth) {
    size_t depth = 0;
    bool inString = false, escaped = false;
    for (size_t i = 0; i < in.size(); i++) {
        char c = in[i];
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            if (++depth > maxDepth) return Error{"JSON: not a JSON object"};
        } else if (c == '}' || c == ']') {
            if (depth == 0) return Error{"JSON: not a JSON object"};
            if (--depth == 0) return i + 1;
        } else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return Error{"JSON: not a JSON object"};
        }
    }
    return 0;
}

Result<size_t> messageExtent(std::string_view body) {
    size_t lead = body.find_first_not_of(" \t\r\n");
    if (lead != std::string_view::npos && body[lead] == '{') return jsonExtent(body);
    return bencodeExtent(body);
}

}  // namespace ngm::bencode
