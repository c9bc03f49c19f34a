// BUNDLE demultiplexing (media/bundle.h): the RFC 8285 header extension
// walk and the RTP/RTCP routing never read outside the input, and whatever
// they return is consistent (a section that exists, a value inside the
// packet); the MID writer (setHeaderExtension) never writes past its buffer
// and what it writes reads back with the value it was given, the payload
// unchanged.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "media/bundle.h"

using namespace ngm::media;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    // The first byte picks the MID extension id; the rest is the packet.
    uint8_t id = data[0];
    std::span<const uint8_t> in(data + 1, size - 1);

    std::span<const uint8_t> value;
    if (findHeaderExtension(in, id, value)) {
        if (value.data() < in.data() || value.data() + value.size() > in.data() + in.size())
            abort();
        if (id == 0) abort();
    }

    static BundleDemux demux;
    static bool made = false;
    if (!made) {
        std::bitset<128> a, b, c;
        a.set(0);
        a.set(111);
        b.set(8);
        b.set(111);
        c.set(96);
        demux.beginSections();
        demux.addSection("0", a, {}, {});
        demux.addSection("1", b, {}, {});
        demux.addSection("video", c, {}, {});
        demux.endSections();
        made = true;
    }
    demux.setMidExtension(id);
    int r = demux.routeRtp(in);
    if (r < -1 || r >= (int)demux.size()) abort();
    int c = demux.routeRtcp(in);
    if (c < -1 || c >= (int)demux.size()) abort();
    // The writer, on a copy with room to grow; the mid's length from the id.
    static uint8_t buf[4096 + 512];
    if (in.size() <= 4096) {
        std::memcpy(buf, in.data(), in.size());
        size_t len = in.size();
        static const uint8_t kMid[20] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j',
                                         'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't'};
        std::span<const uint8_t> mid(kMid, size_t(id % 20) + 1);
        if (setHeaderExtension(buf, len, id, mid)) {
            if (len > sizeof buf) abort();
            std::span<const uint8_t> back;
            std::span<const uint8_t> out(buf, len);
            if (!findHeaderExtension(out, id, back) || back.size() != mid.size() ||
                std::memcmp(back.data(), mid.data(), mid.size()) != 0)
                abort();
        } else if (len != in.size() || std::memcmp(buf, in.data(), in.size()) != 0) {
            abort();  // refused: untouched
        }
    }
    if (in.size() >= 12)
        demux.noteSent(in[1] % 4, uint32_t(in[8]) << 24 | uint32_t(in[9]) << 16 |
                                      uint32_t(in[10]) << 8 | in[11]);
    return 0;
}
