// The built-in stage of the Controls slot: block media or DTMF, silence
// G.711/G.722 payloads, media echo's new SSRC, drop everything.
#pragma once

#include "media/stage.h"
#include "media/stream_config.h"

namespace ngm::media {

class ControlsStage final : public Stage {
  public:
    void set(const Controls& c) { c_ = c; }
    const Controls& controls() const { return c_; }
    Verdict process(PacketContext& p) override;

  private:
    Controls c_;
};

}  // namespace ngm::media
