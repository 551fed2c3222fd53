// expect: empty choice list
// A choice list with no value is rejected when the space is used.
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<16, 1, 1, kernels<>, expansions<2, 4>>;
static_assert(bad::num_decisions == 1);
