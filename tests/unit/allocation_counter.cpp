// Global operator new replaced by a counting one, so a test can measure that a code path does
// not allocate (counting is off unless a test turns it on; see allocation_counter.hpp).
#include "allocation_counter.hpp"

#include <cstdlib>
#include <new>

namespace flowkit::test {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};
} // namespace flowkit::test

void* operator new(std::size_t size)
{
    if (flowkit::test::g_count_allocations.load(std::memory_order_relaxed))
        flowkit::test::g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
