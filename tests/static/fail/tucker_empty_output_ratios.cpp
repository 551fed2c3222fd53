// expect: tucker_output_ratios<>: empty choice list
#include <accelnas/space/blocks/tucker.hpp>
using namespace accelnas::space;
static_assert(tucker_output_ratios<>::size == 0);
