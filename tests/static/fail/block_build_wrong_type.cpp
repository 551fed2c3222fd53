// expect: every parameter must model block_policy
// A block whose build returns something other than the output node is not a block_policy.
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
struct bad_build {
    static constexpr std::string_view name = "mine";
    using slots = slot_list<kernel_slot>;
    static int build(accelnas::graph::network&, accelnas::graph::node, const block_context&) { return 0; }
    static bool uses(std::string_view, const slot_assignment&) { return true; }
    static constexpr weight_sharing sharing(std::string_view) { return weight_sharing::cannot; }
};
using bad = stage<16, 1, 1, blocks<bad_build>>;
static_assert(bad::num_decisions == 0);
