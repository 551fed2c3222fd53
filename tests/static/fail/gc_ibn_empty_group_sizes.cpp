// expect: group_sizes<>: empty choice list
#include <accelnas/space/blocks/gc_ibn.hpp>
using namespace accelnas::space;
static_assert(group_sizes<>::size == 0);
