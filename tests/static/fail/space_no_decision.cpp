// expect: a space needs at least one decision
#include <accelnas/space/search_space.hpp>
using namespace accelnas::space;
struct bad : search_space<stem<16>, head<0>, stage<16, 1, 1, kernels<3>>> {
    static constexpr std::string_view name = "bad";
};
static_assert(bad::num_decisions == 0);
