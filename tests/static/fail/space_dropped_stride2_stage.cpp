// expect: a stage that may have 0 layers must have stride 1
// MnasNet's -1 layer delta on a one-layer stride-2 stage would drop a resolution change.
#include <accelnas/space/stage.hpp>
using namespace accelnas::space;
using bad = stage<16, 2, 1, layer_deltas<-1, 0, 1>>;
static_assert(bad::num_decisions == 1);
