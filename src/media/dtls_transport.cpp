#include "media/dtls_transport.h"

#include <chrono>

#include "common/log.h"
#include "media/packet_stream.h"

namespace ngm::media {

namespace {

uint64_t monotonicMs() {
    return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
}

std::unique_ptr<SrtpStage> stageFor(SrtpStage::Direction d, const crypto::SrtpKeyMaterial& k) {
    auto ctx = crypto::SrtpContext::create(k.suite, k.key, k.salt);
    if (!ctx) return nullptr;
    return std::make_unique<SrtpStage>(d, std::move(*ctx));
}

}  // namespace

Result<std::unique_ptr<DtlsTransport>> DtlsTransport::create(Options o, StateChanged changed) {
    if (!o.cert) return Error{"no DTLS certificate"};
    crypto::DtlsConnectionOptions co;
    co.role = o.role;
    auto conn = crypto::DtlsConnection::create(o.cert, co);
    if (!conn) return conn.error();
    (*conn)->setPeerFingerprints(o.peerFingerprints, monotonicMs());
    return std::unique_ptr<DtlsTransport>(
        new DtlsTransport(std::move(o), std::move(changed), std::move(*conn)));
}

DtlsTransport::DtlsTransport(Options o, StateChanged changed,
                             std::unique_ptr<crypto::DtlsConnection> c)
    : opts_(std::move(o)), changed_(std::move(changed)), conn_(std::move(c)) {
    timer_.setCallback([this] { onTimer(); });
}

DtlsTransport::~DtlsTransport() { timer_.cancel(); }

void DtlsTransport::start(PacketStream& s) {
    stream_ = &s;
    if (opts_.role != crypto::DtlsRole::Active || conn_->state() != crypto::DtlsState::New) return;
    peer_ = s.endpoint();
    uint64_t now = monotonicMs();
    conn_->start(now);
    afterInput(now);
}

// Hot path of the stream (a DTLS record is rare: the handshake and alerts).
void DtlsTransport::onDtls(PacketStream& s, std::span<const uint8_t> datagram,
                           const net::Endpoint& from) {
    stream_ = &s;
    // One peer: the handshake's, and once the stream is settled, its endpoint.
    bool fromPeer = peerFixed_ ? from == peer_ : (!s.confirmed() || from == s.endpoint());
    if (!fromPeer) {
        refused_++;
        if (WorkerStats* t = s.totals()) t->add(t->dtlsRefused, 1);
        return;
    }
    if (!peerFixed_) {
        peer_ = from;
        peerFixed_ = true;
    }
    uint64_t now = monotonicMs();
    conn_->feed(datagram, now);
    afterInput(now);
}

void DtlsTransport::close() {
    timer_.cancel();
    conn_->close();
    flush();
}

void DtlsTransport::afterInput(uint64_t nowMs) {
    flush();
    crypto::DtlsState st = conn_->state();
    if (st == crypto::DtlsState::Connected && reported_ != st) {
        reported_ = st;
        decrypt_ = stageFor(SrtpStage::Direction::Decrypt, *conn_->receiveKeys());
        encrypt_ = stageFor(SrtpStage::Direction::Encrypt, *conn_->sendKeys());
        NGM_LOG(log::Info, opts_.logContext, "DTLS-SRTP connected (%s) with %s",
                std::string(crypto::toString(*conn_->srtpProfile())).c_str(),
                peer_.toString().c_str());
        if (WorkerStats* t = stream_ ? stream_->totals() : nullptr) t->add(t->dtlsHandshakesOk, 1);
        if (changed_) changed_();
    } else if (st == crypto::DtlsState::Failed && reported_ != st) {
        reported_ = st;
        NGM_LOG(log::Warning, opts_.logContext, "DTLS-SRTP handshake failed: %s",
                conn_->failureReason().c_str());
        if (WorkerStats* t = stream_ ? stream_->totals() : nullptr) t->add(t->dtlsHandshakesFailed, 1);
        if (changed_) changed_();
    }
    arm(nowMs);
}

// What the engine has to say goes to the peer from the stream's socket.
void DtlsTransport::flush() {
    if (!stream_) {
        while (conn_->popOutgoing(scratch_)) {
        }
        return;
    }
    const net::Endpoint& to = peerFixed_ || peer_.valid() ? peer_ : stream_->endpoint();
    while (conn_->popOutgoing(scratch_)) stream_->sendRaw(scratch_.data(), scratch_.size(), to);
}

void DtlsTransport::arm(uint64_t nowMs) {
    timer_.cancel();
    if (!opts_.timers) return;
    auto in = conn_->nextTimeoutMs(nowMs);
    if (!in) return;
    opts_.timers->arm(timer_, std::chrono::milliseconds(std::max<uint64_t>(*in, 1)));
}

void DtlsTransport::onTimer() {
    uint64_t now = monotonicMs();
    conn_->onTimeout(now);
    afterInput(now);
}

}  // namespace ngm::media
