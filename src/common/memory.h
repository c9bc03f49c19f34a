// Giving freed memory back to the system when the daemon goes idle.
#pragma once

namespace ngm {

// Returns the calling thread's freed heap memory to the system as far as
// the allocator allows. Costs a heap walk: for idle moments, not per call.
void releaseFreeMemory();

}  // namespace ngm
