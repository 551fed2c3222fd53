// expect: two choice lists decide the same slot
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<16, 1, 1, kernels<3, 5>, kernels<7>>;
static_assert(bad::num_decisions == 1);
