// expect: two block types have the same name
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
struct my_ibn : ibn_block {};  // inherits the name "ibn"
using bad = stage<16, 1, 1, blocks<ibn_block, my_ibn>>;
static_assert(bad::num_decisions == 1);
