// The config file dialect: GLib key files as rtpengine reads them, plus ';'
// comment lines and trimmed list items.
#include <charconv>
#include <cmath>
#include <limits>

#include "app/options_detail.h"
#include "common/strings.h"

namespace ngm::app::detail {

std::optional<int64_t> parseInteger(std::string_view s) {
    bool negative = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    // from_chars would accept a second sign; only digits may follow here.
    if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
    uint64_t magnitude = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (negative) {
        if (magnitude > kMax + 1) return std::nullopt;
        return magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                     : -static_cast<int64_t>(magnitude);
    }
    if (magnitude > kMax) return std::nullopt;
    return static_cast<int64_t>(magnitude);
}

std::optional<double> parseDouble(std::string_view s) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty() || s.front() == '+') return std::nullopt;
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<bool> parseBool(std::string_view s) {
    if (iequals(s, "true") || iequals(s, "yes") || s == "1") return true;
    if (iequals(s, "false") || iequals(s, "no") || s == "0") return false;
    return std::nullopt;
}

const std::vector<KeyFileEntry>* KeyFile::section(const std::string& name) const {
    auto it = sections.find(name);
    return it == sections.end() ? nullptr : &it->second;
}

bool parseKeyFile(std::string_view text, KeyFile& out, std::string& error) {
    std::vector<KeyFileEntry>* current = nullptr;
    int lineNo = 0;
    for (std::string_view line : split(text, '\n')) {
        lineNo++;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line = trim(line);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']' || line.size() < 3) {
                error = "line " + std::to_string(lineNo) + ": malformed section header '" +
                        std::string(line) + "'";
                return false;
            }
            current = &out.sections[std::string(trim(line.substr(1, line.size() - 2)))];
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            error = "line " + std::to_string(lineNo) + ": expected 'key = value', got '" +
                    std::string(line) + "'";
            return false;
        }
        std::string_view key = trim(line.substr(0, eq));
        if (key.empty()) {
            error = "line " + std::to_string(lineNo) + ": empty key";
            return false;
        }
        if (!current) {
            error = "line " + std::to_string(lineNo) + ": key '" + std::string(key) +
                    "' before the first [section]";
            return false;
        }
        // GLib key files allow translations as key[locale]; options have none.
        if (key.back() == ']' && key.find('[') != std::string_view::npos) continue;
        std::string_view value = trim(line.substr(eq + 1));
        bool replaced = false;
        for (auto& e : *current) {
            if (e.key == key) {
                e.rawValue = std::string(value);
                e.line = lineNo;
                replaced = true;
                break;
            }
        }
        if (!replaced) current->push_back({std::string(key), std::string(value), lineNo});
    }
    return true;
}

std::string unescapeKeyFileValue(std::string_view raw, bool inList) {
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); i++) {
        char c = raw[i];
        if (c != '\\' || i + 1 == raw.size()) {
            out += c;
            continue;
        }
        char n = raw[i + 1];
        switch (n) {
            case 's':
                out += ' ';
                break;
            case 't':
                out += '\t';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case '\\':
                out += '\\';
                break;
            case ';':
                if (inList) {
                    out += ';';
                } else {
                    out += "\\;";
                }
                break;
            default:
                // Unknown escapes are kept as written (GLib would reject them).
                out += '\\';
                out += n;
                break;
        }
        i++;
    }
    return out;
}

std::vector<std::string> splitKeyFileList(std::string_view raw) {
    std::vector<std::string> items;
    size_t start = 0;
    for (size_t i = 0; i <= raw.size(); i++) {
        if (i + 1 < raw.size() && raw[i] == '\\') {
            i++;  // the escaped character never separates
            continue;
        }
        if (i == raw.size() || raw[i] == ';') {
            std::string_view item = raw.substr(start, i - start);
            // A blank last item is a trailing ';' (or an empty value), not an item.
            if (i == raw.size() && trim(item).empty()) break;
            items.push_back(unescapeKeyFileValue(trim(item), true));
            start = i + 1;
        }
    }
    return items;
}

}  // namespace ngm::app::detail
