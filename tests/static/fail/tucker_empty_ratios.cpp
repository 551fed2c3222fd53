// expect: tucker_input_ratios<>: empty choice list
#include <accelnas/space/blocks/tucker.hpp>
using namespace accelnas::space;
static_assert(tucker_input_ratios<>::size == 0);
