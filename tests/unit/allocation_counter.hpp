// Counting heap allocations in a scope: `AllocationCount c; ...; c.count()`.
#pragma once

#include <atomic>

namespace flowkit::test {

extern std::atomic<bool> g_count_allocations;
extern std::atomic<long> g_allocations;

/// Counts the allocations (operator new) made while it lives; not nestable.
class AllocationCount
{
public:
    AllocationCount()
    {
        g_allocations = 0;
        g_count_allocations = true;
    }
    ~AllocationCount() { g_count_allocations = false; }
    long count() const { return g_allocations.load(); }
};

} // namespace flowkit::test
