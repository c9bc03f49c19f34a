// How a stream settles where media for its participant goes
// (`--endpoint-learning`, rtpengine's names). Shared by the option parser
// (app/) and the packet path (media/).
#pragma once

#include <cstdint>

namespace ngm::media {

enum class Learning : uint8_t { Delayed, Immediate, Off, Heuristic };

}  // namespace ngm::media
