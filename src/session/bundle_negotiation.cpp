#include "session/bundle_negotiation.h"

#include <algorithm>

#include "common/strings.h"
#include "session/sdp_rewrite.h"

namespace ngm::session {

namespace {

std::string midOfSection(const sdp::MediaSection& m) {
    if (auto* l = m.findAttr("mid")) return std::string(trim(sdp::splitAttribute(l->value).value));
    return {};
}

}  // namespace

std::vector<std::string> bundleGroupMids(const sdp::SessionDescription& sdp) {
    for (const auto& l : sdp.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (a.name != "group") continue;
        auto parts = split(trim(a.value), ' ');
        if (parts.empty() || !iequals(parts[0], "BUNDLE")) continue;
        std::vector<std::string> mids;
        for (size_t i = 1; i < parts.size(); i++)
            if (!parts[i].empty()) mids.emplace_back(parts[i]);
        return mids;
    }
    return {};
}

std::vector<size_t> bundleGroupSections(const sdp::SessionDescription& sdp) {
    std::vector<size_t> out;
    for (const std::string& mid : bundleGroupMids(sdp))
        for (size_t i = 0; i < sdp.media.size(); i++)
            if (sdp.media[i].session == 0 && midOfSection(sdp.media[i]) == mid &&
                std::find(out.begin(), out.end(), i) == out.end())
                out.push_back(i);
    // RFC 9143 §7.2.1: the tagged section is the first with a port.
    auto tagged =
        std::find_if(out.begin(), out.end(), [&](size_t i) { return sdp.media[i].m.port != 0; });
    if (tagged == out.end()) return {};
    std::rotate(out.begin(), tagged, tagged + 1);
    return out;
}

std::vector<size_t> acceptBundledOffer(sdp::SessionDescription& sdp) {
    std::vector<size_t> group = bundleGroupSections(sdp);
    if (group.empty()) return group;
    const sdp::MediaSection& head = sdp.media[group[0]];
    const sdp::Line* headConn = head.find('c');
    sdp::Line conn = headConn ? *headConn : sdp::Line{};
    int port = head.m.port;
    for (size_t k = 1; k < group.size(); k++) {
        sdp::MediaSection& m = sdp.media[group[k]];
        // Only RTP is demultiplexed: anything else (a WebRTC data channel,
        // SCTP over the DTLS association) is read as without the key (a
        // bundle-only one with port 0 stays rejected), and so is a section
        // with port 0 and no a=bundle-only (rejected by its offerer).
        if (!isRtpProtocol(m.m.proto) || (m.m.port == 0 && !m.hasAttr("bundle-only"))) continue;
        m.m.port = port;
        std::erase_if(m.lines, [](const sdp::Line& l) {
            return l.type == 'a' && sdp::splitAttribute(l.value).name == "bundle-only";
        });
        // Its address is the tagged section's (a c= of its own may be a
        // zero placeholder): the tagged one's c=, or the session's.
        if (!headConn) {
            std::erase_if(m.lines, [](const sdp::Line& l) { return l.type == 'c'; });
        } else {
            auto c = std::find_if(m.lines.begin(), m.lines.end(),
                                  [](const sdp::Line& l) { return l.type == 'c'; });
            if (c != m.lines.end())
                *c = conn;
            else
                m.lines.insert(m.lines.begin(), conn);
        }
    }
    return group;
}

std::vector<uint32_t> sdpSsrcs(const sdp::MediaSection& m) {
    std::vector<uint32_t> out;
    for (const auto& l : m.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (a.name != "ssrc") continue;
        std::string_view v = trim(a.value);
        auto id = parseInt<uint32_t>(v.substr(0, v.find(' ')));
        if (id && std::find(out.begin(), out.end(), *id) == out.end()) out.push_back(*id);
    }
    return out;
}

uint8_t midExtensionId(const sdp::MediaSection& m) {
    for (const auto& l : m.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (a.name != "extmap") continue;
        auto parts = split(trim(a.value), ' ');
        if (parts.size() < 2 || trim(parts[1]) != "urn:ietf:params:rtp-hdrext:sdes:mid") continue;
        auto id = parseInt<int>(parts[0].substr(0, parts[0].find('/')));
        if (id && *id > 0 && *id < 256) return uint8_t(*id);
    }
    return 0;
}

}  // namespace ngm::session
