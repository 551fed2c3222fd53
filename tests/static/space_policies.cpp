// Compile-time checks of the search-space policies: the shipped spaces model decision_shape and
// search_space_type, their decision counts and cardinalities are constants, and a user space
// gets the same constants.
#include <accelnas/space.hpp>

namespace {
using namespace accelnas::space;

static_assert(decision_shape<mnasnet> && search_space_type<mnasnet>);
static_assert(decision_shape<edgetpu> && search_space_type<edgetpu>);
static_assert(decision_shape<pixel4> && search_space_type<pixel4>);
static_assert(!decision_shape<int>);
static_assert(!search_space_type<architecture>);

// MnasNet: 7 stages x 8 decisions (block, kernel, expand, se, act, skip, width, layers).
static_assert(mnasnet::num_decisions == 56);
static_assert(mnasnet::cardinalities[0] == 3 && mnasnet::cardinalities[1] == 2 && mnasnet::cardinalities[7] == 3);
// Edge TPU: 6 stages x 6 decisions (block, kernel, expand, skip, width, layers); no se, no act.
static_assert(edgetpu::num_decisions == 36);
static_assert(edgetpu::cardinalities[0] == 4);
// Pixel 4: 7 stages x 7 decisions (edgetpu's plus expand_first).
static_assert(pixel4::num_decisions == 49);
static_assert(pixel4::cardinalities[3] == 3);

// Edge TPU V2: 7 stages x 5 decisions (block, kernel, expand, group, width); 7 log10(108).
static_assert(decision_shape<edgetpu_v2> && search_space_type<edgetpu_v2>);
static_assert(edgetpu_v2::num_decisions == 35);
static_assert(edgetpu_v2::cardinalities[0] == 3 && edgetpu_v2::cardinalities[3] == 3 && edgetpu_v2::cardinalities[4] == 3);
static_assert(edgetpu_v2::log10_size > 14.233 && edgetpu_v2::log10_size < 14.235);
// The block concept: the shipped models, and what is not a block.
static_assert(block_policy<conv_block> && block_policy<dwsep_block> && block_policy<ibn_block> &&
              block_policy<fused_ibn_block> && block_policy<gc_ibn_block> && block_policy<tucker_block>);
static_assert(!block_policy<int> && !block_policy<kernels<3>>);
// A block's own slot decides in rank order: group (25) between expand (20) and se (40).
using gc_stage = stage<32, 1, 1, blocks<gc_ibn_block, ibn_block>, se_ratios<0.0, 0.25>, group_sizes<8, 16, 32>,
                       expansions<4, 6>>;
static_assert(gc_stage::cardinalities == std::array<std::size_t, 4>{2, 2, 3, 2});

// log10 sizes are constants: 7 log10(864), 6 log10(288), 7 log10(864).
static_assert(mnasnet::log10_size > 20.555 && mnasnet::log10_size < 20.557);
static_assert(edgetpu::log10_size > 14.756 && edgetpu::log10_size < 14.757);
static_assert(pixel4::log10_size > 20.555 && pixel4::log10_size < 20.557);

// A user space: fixed lists (one value) are not decisions.
struct mine : search_space<stem<8, 3, 1>, head<0>, stage<8, 1, 2, kernels<3>, expansions<2, 4, 6>>,
                           stage<16, 2, 1, blocks<conv_block, fused_ibn_block>, layer_deltas<0, 1>>> {
    static constexpr std::string_view name = "mine";
};
static_assert(search_space_type<mine>);
static_assert(mine::num_decisions == 3);
static_assert(mine::cardinalities == std::array<std::size_t, 3>{3, 2, 2});
static_assert(mine::log10_size > 1.079 && mine::log10_size < 1.080);  // log10(12) = 1.0792
static_assert(kernels<3, 5, 7>::size == 3 && kernels<3, 5, 7>::values[2] == 7);
}  // namespace
