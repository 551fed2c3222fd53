// expect: a block's slots may not include block, expand_first, skip, width or layers
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
struct width_reader : ibn_block {
    static constexpr std::string_view name = "wide";
    using slots = slot_list<kernel_slot, width_slot>;
};
using bad = stage<16, 1, 1, blocks<ibn_block, width_reader>>;
static_assert(bad::num_decisions == 1);
