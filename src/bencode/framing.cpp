#include "bencode/framing.h"

namespace ngm::bencode {

long bencodeExtent(std::string_view in, size_t maxDepth) {
    size_t i = 0, depth = 0;
    do {
        if (i >= in.size()) return 0;
        char c = in[i];
        if (c == 'e') {
            if (depth == 0) return -1;
            depth--;
            i++;
        } else if (c == 'd' || c == 'l') {
            if (++depth > maxDepth) return -1;
            i++;
        } else if (c == 'i') {
            size_t e = in.find('e', i);
            if (e == std::string_view::npos) return in.size() - i > 24 ? -1 : 0;
            i = e + 1;
        } else if (c >= '0' && c <= '9') {
            size_t colon = in.find(':', i);
            if (colon == std::string_view::npos) return in.size() - i > 12 ? -1 : 0;
            size_t len = 0;
            for (size_t k = i; k < colon; k++) {
                if (in[k] < '0' || in[k] > '9' || colon - i > 9) return -1;
                len = len * 10 + (in[k] - '0');
            }
            i = colon + 1 + len;
            if (i > in.size()) return 0;
        } else {
            return -1;
        }
    } while (depth > 0);
    return (long)i;
}

long jsonExtent(std::string_view in, size_t maxDepth) {
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
            if (++depth > maxDepth) return -1;
        } else if (c == '}' || c == ']') {
            if (depth == 0) return -1;
            if (--depth == 0) return (long)(i + 1);
        } else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return -1;
        }
    }
    return 0;
}

}  // namespace ngm::bencode
