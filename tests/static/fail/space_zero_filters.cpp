// expect: a stage's filters must be positive
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<0, 1, 1, kernels<3, 5>>;
static_assert(bad::num_decisions == 1);
