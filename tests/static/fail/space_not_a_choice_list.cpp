// expect: every parameter after the layer count must be a choice list
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<16, 1, 1, int>;
static_assert(bad::num_decisions == 0);
