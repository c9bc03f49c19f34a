#include "control/ng_stream.h"

#include "bencode/framing.h"
#include "common/log.h"
#include "control/ng_dispatcher.h"
#include "net/event_loop.h"

namespace ngm::control {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Control;
}  // namespace

std::shared_ptr<NgStream> NgStream::create(NgDispatcher& d, std::shared_ptr<net::EventLoop> loop,
                                           const net::Endpoint& peer, Output& out) {
    return std::shared_ptr<NgStream>(new NgStream(d, std::move(loop), peer, out));
}

void NgStream::received(std::string_view bytes) {
    if (finishing_) return;
    in_.append(bytes);
    while (!finishing_) {
        auto sp = in_.find(' ');
        if (sp == std::string::npos) {
            if (in_.size() > kMaxCookie) finish();
            return;
        }
        auto ext = bencode::messageExtent(std::string_view(in_).substr(sp + 1));
        if (!ext) {
            // Framing is lost: answer once with an error, then close.
            NGM_LOG_WARN("Closing ng connection from %s: %s", peer_.toString().c_str(),
                         ext.error().reason.c_str());
            std::string broken = std::move(in_);
            in_.clear();
            dispatch(broken);
            finish();
            return;
        }
        if (*ext == 0) {
            if (in_.size() > kMaxBuffered) finish();
            return;
        }
        size_t total = sp + 1 + *ext;
        dispatch(std::string_view(in_).substr(0, total));
        in_.erase(0, total);
    }
}

void NgStream::dispatch(std::string_view message) {
    if (finished_) return;
    uint64_t seq = firstSeq_ + replies_.size();
    replies_.emplace_back();
    // The sink may run on this thread (within handleAsync) or on a worker;
    // either way the reply reaches the stream on its loop, after this call,
    // and only if the stream is still there then.
    std::weak_ptr<NgStream> self = weak_from_this();
    std::shared_ptr<net::EventLoop> loop = loop_;
    bool willReply =
        dispatcher_.handleAsync(message, peer_, [self, loop, seq](const std::string& reply) {
            auto task = [self, seq, reply] {
                if (auto s = self.lock()) s->deliver(seq, reply);
            };
            if (loop->inLoopThread())
                loop->defer(std::move(task));
            else
                loop->post(std::move(task));
        });
    if (!willReply) {
        // No reply comes (no cookie, or a retransmission still in progress):
        // the slot must not hold back the replies after it.
        loop_->defer([self, seq] {
            if (auto s = self.lock()) s->deliver(seq, {});
        });
    }
}

void NgStream::endOfInput() {
    in_.clear();
    finish();
}

void NgStream::deliver(uint64_t seq, std::string reply) {
    if (seq < firstSeq_ || seq - firstSeq_ >= replies_.size()) return;
    replies_[seq - firstSeq_] = std::move(reply);
    writeReady();
}

void NgStream::writeReady() {
    while (!replies_.empty() && replies_.front()) {
        if (out_ && !replies_.front()->empty()) out_->write(*replies_.front());
        replies_.pop_front();
        firstSeq_++;
    }
    if (finishing_ && replies_.empty() && !finished_) {
        finished_ = true;
        if (out_) out_->finish();
    }
}

void NgStream::finish() {
    finishing_ = true;
    if (replies_.empty() && !finished_) {
        // Never from inside received(): the transport may close at once.
        loop_->defer([self = weak_from_this()] {
            if (auto s = self.lock()) s->writeReady();
        });
    }
}

}  // namespace ngm::control
