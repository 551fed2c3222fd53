// expect: every kernel size must be odd and positive
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<16, 1, 1, kernels<3, 4>>;
static_assert(bad::num_decisions == 1);
