// expect: a stage's stride must be 1 or 2
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<16, 3, 1, kernels<3, 5>>;
static_assert(bad::num_decisions == 1);
