// expect: Slot must be a slot type
#include <accelnas/space/choices.hpp>
using namespace accelnas::space;
struct not_a_slot {};
using bad = choice_list<not_a_slot, int, 1, 2>;
static_assert(bad::size == 2);
