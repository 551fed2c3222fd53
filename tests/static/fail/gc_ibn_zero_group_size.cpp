// expect: every group size (input channels per group) must be positive
#include <accelnas/space/blocks/gc_ibn.hpp>
using namespace accelnas::space;
static_assert(group_sizes<0, 16>::size == 2);
