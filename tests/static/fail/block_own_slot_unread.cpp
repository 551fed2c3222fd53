// expect: no block of the stage reads
// group_sizes<...> decides the GC-IBN's own slot, but the stage has no GC-IBN.
#include <accelnas/space/blocks/gc_ibn.hpp>
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<16, 1, 1, blocks<ibn_block>, group_sizes<16, 32>>;
static_assert(bad::num_decisions == 1);
