// Counts heap allocations of the whole test binary (alloc_counter.cpp
// replaces the global operator new), so a test can assert that a code path
// allocates nothing.
#pragma once
#include <cstddef>

namespace ngm::ice::test {
size_t allocations();
}
