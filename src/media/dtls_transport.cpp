#include "media/dtls_transport.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "media/packet_stream.h"
#include "net/event_loop.h"

namespace ngm::media {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Crypto;
}  // namespace

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

uint64_t monotonicUs() {
    return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
}

}  // namespace

// ---- DtlsPacer ----

std::shared_ptr<DtlsPacer> DtlsPacer::create(net::EventLoop& loop, std::chrono::microseconds budget,
                                             const std::atomic<uint64_t>* media) {
    std::shared_ptr<DtlsPacer> p(new DtlsPacer(loop, budget, media));
    p->self_ = p;
    return p;
}

DtlsPacer::DtlsPacer(net::EventLoop& loop, std::chrono::microseconds budget,
                     const std::atomic<uint64_t>* media)
    : loop_(loop), budgetUs_(uint64_t(std::max<int64_t>(budget.count(), 0))), media_(media) {
    if (media_) mediaSeen_ = media_->load(std::memory_order_relaxed);
}

DtlsPacer::~DtlsPacer() = default;

void DtlsPacer::spent(uint64_t us) {
    if (budgetUs_ == 0) return;
    spentUs_ += us;
    armEnd();
}

void DtlsPacer::wait(Client& c) {
    ++putOff_;
    if (std::find(waiting_.begin(), waiting_.end(), &c) == waiting_.end()) waiting_.push_back(&c);
    armEnd();
}

void DtlsPacer::forget(const Client& c) {
    waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), &c), waiting_.end());
}

// The loop's tasks hold the pacer weakly: a worker that goes away with
// them queued leaves them nothing to do.
void DtlsPacer::armEnd() {
    if (endArmed_) return;
    endArmed_ = true;
    loop_.defer([w = self_] {
        if (auto p = w.lock()) p->endOfRound();
    });
}

// Media relayed within the last 100 ms (five packet times of 20 ms audio).
bool DtlsPacer::relaying(uint64_t nowUs) {
    if (!media_) return false;
    uint64_t n = media_->load(std::memory_order_relaxed);
    if (n != mediaSeen_) {
        mediaSeen_ = n;
        mediaAtUs_ = nowUs;
    }
    return mediaAtUs_ && nowUs - mediaAtUs_ < 100'000;
}

// The round's I/O is handled: what waits is worked on in the next round,
// after that round's datagrams, with a fresh slice; while the worker relays
// media, with what half the wall-clock time since the last refill gave back
// (the odd microsecond kept for the next: rounds are a few microseconds).
void DtlsPacer::endOfRound() {
    endArmed_ = false;
    const uint64_t now = monotonicUs();
    if (relaying(now)) {
        const uint64_t elapsed = refilledAtUs_ ? now - refilledAtUs_ : 0;
        refilledAtUs_ = now - elapsed % 2;
        spentUs_ = spentUs_ > elapsed / 2 ? spentUs_ - elapsed / 2 : 0;
    } else {
        refilledAtUs_ = now;
        spentUs_ = 0;
    }
    if (waiting_.empty() || drainArmed_) return;
    drainArmed_ = true;
    loop_.nextRound([w = self_] {
        if (auto p = w.lock()) p->drain();
    });
}

// One record per association in turn while the round's slice lasts; the
// rest in the next rounds, the loop handling their I/O meanwhile (while
// relaying, rounds without slice left only refill it).
void DtlsPacer::drain() {
    drainArmed_ = false;
    while (!waiting_.empty() && spentUs_ < budgetUs_) {
        Client* t = waiting_.front();
        waiting_.pop_front();
        if (t->runHeld()) waiting_.push_back(t);
    }
    if (!waiting_.empty()) armEnd();
}

// ---- DtlsTransport ----

Result<std::unique_ptr<DtlsTransport>> DtlsTransport::create(Options o, StateChanged changed) {
    if (!o.cert) return Error{"no DTLS certificate"};
    crypto::DtlsConnectionOptions co;
    co.role = o.role;
    auto conn = crypto::DtlsConnection::create(o.cert, co);
    if (!conn) return conn.error();
    // Without them yet (an early passive association), the certificate is
    // checked once they come (setPeerFingerprints).
    if (!o.peerFingerprints.empty())
        (*conn)->setPeerFingerprints(o.peerFingerprints, monotonicMs());
    return std::unique_ptr<DtlsTransport>(
        new DtlsTransport(std::move(o), std::move(changed), std::move(*conn)));
}

DtlsTransport::DtlsTransport(Options o, StateChanged changed,
                             std::unique_ptr<crypto::DtlsConnection> c)
    : opts_(std::move(o)), changed_(std::move(changed)), conn_(std::move(c)) {
    timer_.setCallback([this] { onTimer(); });
}

DtlsTransport::~DtlsTransport() {
    timer_.cancel();
    if (opts_.pacer) opts_.pacer->forget(*this);
}

void DtlsTransport::setPeerFingerprints(std::vector<crypto::Fingerprint> fps) {
    opts_.peerFingerprints = fps;
    uint64_t now = monotonicMs();
    conn_->setPeerFingerprints(std::move(fps), now);
    afterInput(now);
}

void DtlsTransport::start(PacketStream& s) {
    stream_ = &s;
    if (opts_.role != crypto::DtlsRole::Active || conn_->state() != crypto::DtlsState::New) return;
    peer_ = s.endpoint();
    DtlsPacer* pacer = opts_.pacer.get();
    if (pacer && !pacer->mayRun()) {
        // Making the ClientHello is handshake work too: in turn with the rest.
        startHeld_ = true;
        if (WorkerStats* t = s.totals()) t->add(t->dtlsPutOff, 1);
        pacer->wait(*this);
        return;
    }
    begin();
}

void DtlsTransport::begin() {
    uint64_t t0 = opts_.pacer ? monotonicUs() : 0;
    uint64_t now = monotonicMs();
    conn_->start(now);
    afterInput(now);
    if (opts_.pacer) opts_.pacer->spent(monotonicUs() - t0);
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
    DtlsPacer* pacer = opts_.pacer.get();
    if (!pacer || pacer->mayRun()) {
        work(datagram);
        return;
    }
    // The worker's DTLS time for this round is spent: later, in order.
    if (held_.size() >= kMaxHeld) {
        if (WorkerStats* t = s.totals()) t->add(t->dtlsRefused, 1);
        return;
    }
    held_.emplace_back(datagram.begin(), datagram.end());
    if (WorkerStats* t = s.totals()) t->add(t->dtlsPutOff, 1);
    pacer->wait(*this);
}

void DtlsTransport::work(std::span<const uint8_t> datagram) {
    uint64_t t0 = opts_.pacer ? monotonicUs() : 0;
    uint64_t now = monotonicMs();
    conn_->feed(datagram, now);
    afterInput(now);
    if (opts_.pacer) opts_.pacer->spent(monotonicUs() - t0);
}

bool DtlsTransport::runHeld() {
    if (startHeld_) {
        startHeld_ = false;
        if (conn_->state() == crypto::DtlsState::New) begin();
        return !held_.empty();
    }
    if (held_.empty()) return false;
    std::vector<uint8_t> d = std::move(held_.front());
    held_.pop_front();
    work(d);
    return !held_.empty();
}

void DtlsTransport::runAllHeld() {
    while (!held_.empty()) {
        std::vector<uint8_t> d = std::move(held_.front());
        held_.pop_front();
        work(d);
    }
    // A ClientHello of ours still waiting keeps its turn.
    if (opts_.pacer && !startHeld_) opts_.pacer->forget(*this);
}

void DtlsTransport::close() {
    held_.clear();
    startHeld_ = false;
    if (opts_.pacer) opts_.pacer->forget(*this);
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
