// expect: the block choice must be a blocks<...> list of block types
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
struct block_indices : choice_list<block_slot, int, 0, 1> {};
using bad = stage<16, 1, 1, block_indices>;
static_assert(bad::num_decisions == 1);
