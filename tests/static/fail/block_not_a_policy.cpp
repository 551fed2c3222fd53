// expect: every parameter must model block_policy
// A block without `sharing` (the supernet weight-sharing declaration) is not a block_policy.
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
struct no_sharing {
    static constexpr std::string_view name = "mine";
    using slots = slot_list<kernel_slot>;
    static accelnas::graph::node build(accelnas::graph::network&, accelnas::graph::node x, const block_context&) { return x; }
    static bool uses(std::string_view, const slot_assignment&) { return true; }
};
using bad = stage<16, 1, 1, blocks<ibn_block, no_sharing>>;
static_assert(bad::num_decisions == 1);
