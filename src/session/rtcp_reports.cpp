#include "session/rtcp_reports.h"

#include <time.h>

#include "common/clock.h"
#include "crypto/openssl.h"
#include "media/bundle.h"
#include "media/rtcp_generator.h"
#include "session/call.h"

namespace ngm::session {

namespace {

// rtpengine 10.5 (observed on loopback): the first report some 5-6 s after
// media starts, then one every 11-13 s. RFC 3550 §6.3.1 wants the interval
// randomised: so is ours, in the same ranges.
constexpr int64_t kFirstReportMs = 5000, kFirstSpreadMs = 1000;
constexpr int64_t kReportMs = 11000, kReportSpreadMs = 2000;

uint32_t random32() {
    uint32_t v = 0;
    crypto::randomBytes({reinterpret_cast<uint8_t*>(&v), sizeof v});
    return v;
}

int64_t monoMicros() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

// A bundled transport carrying more than one section: its counters mix the
// sections' streams.
bool mixedTransport(const Media& m) { return m.bundleDemux && m.bundleDemux->size() > 1; }

void report(Call& c, Participant& p, size_t i, int64_t nowMs) {
    Media& m = *p.media[i];
    if (!m.hasPorts() || m.rejected || !m.rtp.config().generateRtcp) return;
    // A section of a bundled side that is not its transport: its media
    // leaves through (and is counted on) the tagged section's.
    if (p.bundled && m.bundleHead >= 0 && (size_t)m.bundleHead != i) return;
    Media* q = p.peer ? p.peer->mediaAt(i) : nullptr;
    if (q &&
        (!q->hasPorts() || (p.peer->bundled && q->bundleHead >= 0 && (size_t)q->bundleHead != i)))
        q = nullptr;
    const media::RtpReception& from = m.rtp.reception();  // what p sends us
    bool sending = q && !mixedTransport(*q) && q->rtp.reception().started();
    bool receiving = !mixedTransport(m) && from.started();
    Media::RtcpReports& r = m.rtcpReports;
    if (!sending && !receiving) return;  // nothing to report on yet
    if (r.nextMs == 0) {
        r.nextMs = nowMs + kFirstReportMs + int64_t(random32() % kFirstSpreadMs);
        return;
    }
    if (nowMs < r.nextMs) return;
    r.nextMs = nowMs + kReportMs + int64_t(random32() % kReportSpreadMs);

    int64_t nowUs = monoMicros();
    media::RtcpReport rep;
    if (sending) {
        const media::RtpReception& sent = q->rtp.reception();
        rep.sender = true;
        rep.ssrc = sent.ssrc();
        rep.ntp = media::ntpFromUnixMicros(wallMicros());
        rep.rtpTimestamp = media::extrapolateTimestamp(sent.lastTimestamp(), sent.lastArrivalUs(),
                                                       nowUs, q->rtp.config().clockRate);
        rep.packets = uint32_t(sent.received());
        rep.octets = uint32_t(q->rtp.rtpOctets());
    } else {
        while (!r.ownSsrc) r.ownSsrc = random32();
        rep.ssrc = r.ownSsrc;
    }
    if (receiving) {
        // The participant's last SR, on its RTP port (rtcp-mux) or its RTCP port.
        const media::PacketStream& sr = m.rtcp.lastSrUs() > m.rtp.lastSrUs() ? m.rtcp : m.rtp;
        rep.hasBlock = true;
        rep.block = media::reportBlock(from, r.expectedPrior, r.receivedPrior, sr.lastSrMiddle(),
                                       sr.lastSrUs(), nowUs);
    }
    rep.cname = c.rtcpCname;
    uint8_t buf[media::kMaxRtcpReport + 256];
    size_t len = media::writeRtcpReport(rep, buf);
    if (!len) return;
    (m.rtcpMux ? m.rtp : m.rtcp).sendGenerated(buf, len, sizeof buf);
}

}  // namespace

void sendRtcpReports(Call& c, int64_t nowMs) {
    if (!c.generateRtcp) return;
    if (c.rtcpCname.empty()) {
        // 12 characters, as rtpengine 10.5's CNAME.
        static constexpr char kAlphabet[] =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        uint8_t raw[12];
        crypto::randomBytes(raw);
        for (uint8_t b : raw) c.rtcpCname += kAlphabet[b % 62];
    }
    for (auto& [tag, p] : c.participants)
        for (size_t i = 0; i < p->media.size(); i++)
            if (p->media[i]) report(c, *p, i, nowMs);
}

}  // namespace ngm::session
