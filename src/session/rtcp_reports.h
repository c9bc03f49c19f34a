// `generate RTCP` (rtpengine's ng flag and key): the reports the proxy
// sends each side of a call in place of the RTCP it consumes, from the
// worker's once-a-second tick (CallStore::tick, on the worker's timer
// wheel). See docs/compatibility.md for what rtpengine 10.5 does.
#pragma once

#include <cstdint>

namespace ngm::session {

struct Call;

// Sends the reports of `c` that are due at `nowMs` (monotonic ms): one
// compound SR/RR + SDES per media section and side. No allocation once the
// call has its CNAME.
void sendRtcpReports(Call& c, int64_t nowMs);

}  // namespace ngm::session
