// expect: tucker_input_ratios<...>: every compression ratio must be in (0, 1]
#include <accelnas/space/blocks/tucker.hpp>
using namespace accelnas::space;
static_assert(tucker_input_ratios<0.25, 1.5>::size == 2);
