// expect: tucker_output_ratios<...>: every compression ratio must be in (0, 1]
#include <accelnas/space/blocks/tucker.hpp>
using namespace accelnas::space;
static_assert(tucker_output_ratios<0.0>::size == 1);
