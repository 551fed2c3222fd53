// expect: blocks<>: empty choice list
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<16, 1, 1, blocks<>>;
static_assert(bad::num_decisions == 0);
