// expect: a block name must be non-empty and hold no
// A name with '/' would break the architecture text (stage groups are separated by '/').
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
struct slashed : ibn_block {
    static constexpr std::string_view name = "ibn/2";
};
using bad = stage<16, 1, 1, blocks<ibn_block, slashed>>;
static_assert(bad::num_decisions == 1);
