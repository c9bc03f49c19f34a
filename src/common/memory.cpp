#include "common/memory.h"

#include <malloc.h>

#include <cstdlib>
#include <system_error>
#include <thread>
#include <vector>

namespace ngm {

namespace {
// glibc's per-thread cache (tcache) keeps up to 7 freed chunks of every
// small size (up to 1032 bytes) outside the arena, where malloc_trim cannot
// release them; after a load they are the last chunks the calls freed,
// scattered over the heap, each keeping its page resident. There is no call
// to empty it, but a chunk goes to the cache of the thread that frees it,
// and a thread's cache goes back to the arenas when the thread ends: so the
// chunks are taken out of this thread's cache and freed by a short-lived
// thread.
constexpr size_t kCacheMaxSize = 1032;
constexpr size_t kCacheCount = 7;

void emptyThreadCache() {
    // Through volatile pointers: a compiler may drop a malloc whose memory
    // is freed unused, and these calls are all about their side effects.
    void* (*volatile allocate)(size_t) = malloc;
    void (*volatile release)(void*) = free;
    std::vector<void*> taken;
    taken.reserve((kCacheMaxSize / 16 + 1) * kCacheCount);
    for (size_t size = 24; size <= kCacheMaxSize; size += 16)
        for (size_t i = 0; i < kCacheCount; i++)
            if (void* p = allocate(size)) taken.push_back(p);
    auto freeAll = [&] {
        for (void* p : taken) release(p);
    };
    try {
        std::thread(freeAll).join();
    } catch (const std::system_error&) {
        freeAll();  // no thread to be had now (a limit): back into our cache
    }
}
}  // namespace

void releaseFreeMemory() {
    emptyThreadCache();
    malloc_trim(0);
}

}  // namespace ngm
