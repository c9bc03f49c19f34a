#include "media/stage.h"

namespace ngm::media {

// Out of line on purpose: a measured stage must cost a real indirect call.
Verdict NoopStage::process(PacketContext&) { return Verdict::Forward; }

}  // namespace ngm::media
