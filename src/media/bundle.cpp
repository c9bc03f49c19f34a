#include "media/bundle.h"

#include <cstring>

namespace ngm::media {

namespace {

uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

}  // namespace

bool findHeaderExtension(std::span<const uint8_t> rtp, uint8_t id,
                         std::span<const uint8_t>& value) {
    if (id == 0 || rtp.size() < 12 || (rtp[0] >> 6) != 2 || !(rtp[0] & 0x10)) return false;
    size_t pos = 12 + size_t(rtp[0] & 0x0f) * 4;  // CSRC list
    if (rtp.size() < pos + 4) return false;
    uint16_t profile = uint16_t(rtp[pos] << 8 | rtp[pos + 1]);
    size_t len = size_t(rtp[pos + 2] << 8 | rtp[pos + 3]) * 4;
    pos += 4;
    if (rtp.size() < pos + len) return false;
    const size_t end = pos + len;
    // RFC 8285 §4.2: one-byte form 0xBEDE; §4.3: two-byte form 0x100x.
    bool oneByte = profile == 0xBEDE;
    bool twoByte = (profile & 0xfff0) == 0x1000;
    if (!oneByte && !twoByte) return false;
    while (pos < end) {
        uint8_t first = rtp[pos];
        if (first == 0) {  // padding between elements
            pos++;
            continue;
        }
        uint8_t elemId;
        size_t elemLen;
        if (oneByte) {
            elemId = first >> 4;
            if (elemId == 15) return false;  // §4.2: stop parsing
            elemLen = size_t(first & 0x0f) + 1;
            pos += 1;
        } else {
            if (pos + 2 > end) return false;
            elemId = first;
            elemLen = rtp[pos + 1];
            pos += 2;
        }
        if (pos + elemLen > end) return false;
        if (elemId == id) {
            value = rtp.subspan(pos, elemLen);
            return true;
        }
        pos += elemLen;
    }
    return false;
}

bool setHeaderExtension(std::span<uint8_t> buf, size_t& len, uint8_t id,
                        std::span<const uint8_t> value) {
    if (id == 0 || value.empty() || value.size() > 255 || len > buf.size() || len < 12)
        return false;
    uint8_t* rtp = buf.data();
    if ((rtp[0] >> 6) != 2) return false;
    const size_t pos = 12 + size_t(rtp[0] & 0x0f) * 4;  // CSRC list
    if (len < pos) return false;
    // The present elements (id, offset of the value, its length).
    struct Element {
        uint8_t id;
        uint16_t at;
        uint8_t len;
    };
    std::array<Element, 64> elems;
    size_t count = 0;
    bool twoByte = false;
    uint16_t profile = 0xBEDE;
    size_t oldEnd = pos;  // where the payload starts now
    bool seenId = false;  // an element of `id` met
    if (rtp[0] & 0x10) {
        if (len < pos + 4) return false;
        profile = uint16_t(rtp[pos] << 8 | rtp[pos + 1]);
        size_t blockLen = size_t(rtp[pos + 2] << 8 | rtp[pos + 3]) * 4;
        oldEnd = pos + 4 + blockLen;
        if (len < oldEnd) return false;
        if (profile == 0xBEDE)
            twoByte = false;
        else if ((profile & 0xfff0) == 0x1000)
            twoByte = true;
        else
            return false;  // not RFC 8285: not ours to extend
        size_t at = pos + 4;
        while (at < oldEnd) {
            uint8_t first = rtp[at];
            if (first == 0) {
                at++;
                continue;
            }
            Element e;
            if (!twoByte) {
                if ((first >> 4) == 15) return false;  // §4.2: the rest is not to be parsed
                e = {uint8_t(first >> 4), uint16_t(at + 1), uint8_t((first & 0x0f) + 1)};
                at += 1;
            } else {
                if (at + 2 > oldEnd) return false;
                e = {first, uint16_t(at + 2), rtp[at + 1]};
                at += 2;
            }
            // An element id 0 (reserved for padding, RFC 8285 §4.2) with a
            // length: not ours to reinterpret.
            if (e.id == 0 || at + e.len > oldEnd || count == elems.size()) return false;
            at += e.len;
            if (e.id == id) {
                // Already as wanted: nothing to move. Only the first element
                // of the id counts (a reader takes that one): one after a
                // different first is not.
                if (!seenId && e.len == value.size() &&
                    std::memcmp(rtp + e.at, value.data(), e.len) == 0)
                    return true;
                seenId = true;
                continue;  // replaced below
            }
            elems[count++] = e;
        }
    }
    if (!twoByte && (id > 14 || value.size() > 16)) {
        twoByte = true;
        profile = 0x1000;
    }
    // The new block: header, the kept elements, ours, zero padding.
    uint8_t block[4 + 64 * 257 + 257 + 3];
    size_t n = 4;
    auto put = [&](uint8_t eid, const uint8_t* v, size_t vlen) {
        if (twoByte) {
            block[n++] = eid;
            block[n++] = uint8_t(vlen);
        } else {
            block[n++] = uint8_t(eid << 4 | (vlen - 1));
        }
        std::memcpy(block + n, v, vlen);
        n += vlen;
    };
    for (size_t i = 0; i < count; i++) {
        // A zero-length element has no one-byte form (RFC 8285 §4.2).
        if (!twoByte && elems[i].len == 0) return false;
        put(elems[i].id, rtp + elems[i].at, elems[i].len);
    }
    put(id, value.data(), value.size());
    while (n % 4) block[n++] = 0;
    if (n - 4 > 0xffff * 4) return false;
    block[0] = uint8_t(profile >> 8);
    block[1] = uint8_t(profile);
    block[2] = uint8_t(((n - 4) / 4) >> 8);
    block[3] = uint8_t((n - 4) / 4);
    const size_t tail = len - oldEnd;  // payload and padding
    if (pos + n + tail > buf.size()) return false;
    std::memmove(rtp + pos + n, rtp + oldEnd, tail);
    std::memcpy(rtp + pos, block, n);
    rtp[0] |= 0x10;
    len = pos + n + tail;
    return true;
}

void BundleDemux::beginSections() {
    old_ = sections_;
    oldCount_ = count_;
    count_ = 0;
}

bool BundleDemux::addSection(std::string_view mid, const std::bitset<128>& payloadTypes,
                             const SinkList& rtpSinks, const SinkList& rtcpSinks) {
    if (count_ == kMaxSections || mid.size() > kMaxMid) return false;
    Section& s = sections_[count_];
    s = Section{};
    std::memcpy(s.mid.data(), mid.data(), mid.size());
    s.midLen = uint8_t(mid.size());
    s.payloadTypes = payloadTypes;
    s.rtpSinks = rtpSinks;
    s.rtcpSinks = rtcpSinks;
    for (size_t i = 0; i < oldCount_; i++)
        if (!mid.empty() && old_[i].midView() == mid) {
            s.inSsrc = old_[i].inSsrc;
            s.outSsrc = old_[i].outSsrc;
            s.inCount = old_[i].inCount;
            s.outCount = old_[i].outCount;
            s.inNext = old_[i].inNext;
            s.outNext = old_[i].outNext;
        }
    count_++;
    return true;
}

void BundleDemux::endSections() { oldCount_ = 0; }

int BundleDemux::sectionOfMid(std::span<const uint8_t> mid) const {
    std::string_view v(reinterpret_cast<const char*>(mid.data()), mid.size());
    for (size_t i = 0; i < count_; i++)
        if (sections_[i].midLen && sections_[i].midView() == v) return int(i);
    return -1;
}

int BundleDemux::sectionOfInSsrc(uint32_t ssrc) const {
    for (size_t i = 0; i < count_; i++)
        for (uint8_t k = 0; k < sections_[i].inCount; k++)
            if (sections_[i].inSsrc[k] == ssrc) return int(i);
    return -1;
}

int BundleDemux::sectionOfOutSsrc(uint32_t ssrc) const {
    for (size_t i = 0; i < count_; i++)
        for (uint8_t k = 0; k < sections_[i].outCount; k++)
            if (sections_[i].outSsrc[k] == ssrc) return int(i);
    return -1;
}

// An SSRC belongs to one section: learnt anew, it leaves the one it was in
// (RFC 8843 §9.2: the MID is authoritative).
void BundleDemux::learnIn(size_t i, uint32_t ssrc) {
    for (size_t j = 0; j < count_; j++) {
        Section& s = sections_[j];
        for (uint8_t k = 0; k < s.inCount; k++)
            if (s.inSsrc[k] == ssrc) {
                if (j == i) return;
                s.inSsrc[k] = s.inSsrc[s.inCount - 1];
                s.inCount--;
                break;
            }
    }
    Section& s = sections_[i];
    if (s.inCount < kMaxSsrcs) {
        s.inSsrc[s.inCount++] = ssrc;
    } else {
        s.inSsrc[s.inNext] = ssrc;  // full: the oldest slot goes
        s.inNext = uint8_t((s.inNext + 1) % kMaxSsrcs);
    }
}

void BundleDemux::noteSent(size_t i, uint32_t ssrc) {
    if (i >= count_) return;
    Section& s = sections_[i];
    for (uint8_t k = 0; k < s.outCount; k++)
        if (s.outSsrc[k] == ssrc) return;
    if (s.outCount < kMaxSsrcs) {
        s.outSsrc[s.outCount++] = ssrc;
    } else {
        s.outSsrc[s.outNext] = ssrc;
        s.outNext = uint8_t((s.outNext + 1) % kMaxSsrcs);
    }
}

// Hot path.
int BundleDemux::routeRtp(std::span<const uint8_t> pkt) {
    if (pkt.size() < 12 || count_ == 0) return -1;
    uint32_t ssrc = be32(pkt.data() + 8);
    std::span<const uint8_t> mid;
    if (midExtId_ && findHeaderExtension(pkt, midExtId_, mid)) {
        int i = sectionOfMid(mid);
        if (i >= 0) learnIn(size_t(i), ssrc);
        return i;  // an unknown MID is not guessed at (RFC 8843 §9.2)
    }
    int i = sectionOfInSsrc(ssrc);
    if (i >= 0) return i;
    uint8_t pt = pkt[1] & 0x7f;
    int only = -1;
    for (size_t k = 0; k < count_; k++)
        if (sections_[k].payloadTypes.test(pt)) {
            if (only >= 0) return -1;  // listed by more than one section
            only = int(k);
        }
    if (only >= 0) learnIn(size_t(only), ssrc);
    return only;
}

// Hot path. Sender SSRCs first (the participant's own streams), then the
// SSRCs its reports and feedback are about (ours towards it).
int BundleDemux::routeRtcp(std::span<const uint8_t> pkt) const {
    if (count_ == 0) return -1;
    int byMedia = -1;
    size_t pos = 0;
    while (pos + 8 <= pkt.size()) {
        const uint8_t* h = pkt.data() + pos;
        if ((h[0] >> 6) != 2) break;
        size_t len = (size_t(h[2] << 8 | h[3]) + 1) * 4;
        if (pos + len > pkt.size()) break;
        uint8_t pt = h[1];
        uint8_t count = h[0] & 0x1f;
        int i = sectionOfInSsrc(be32(h + 4));
        if (i >= 0) return i;
        if (byMedia < 0) {
            size_t blocks = pt == 200 ? 28 : pt == 201 ? 8 : 0;
            if (blocks)
                for (size_t b = 0; b < count && blocks + b * 24 + 4 <= len && byMedia < 0; b++)
                    byMedia = sectionOfOutSsrc(be32(h + blocks + b * 24));
            if ((pt == 205 || pt == 206) && len >= 12) byMedia = sectionOfOutSsrc(be32(h + 8));
        }
        pos += len;
    }
    return byMedia;
}

}  // namespace ngm::media
