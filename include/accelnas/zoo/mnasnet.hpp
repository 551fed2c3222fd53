#pragma once
/// \file
/// MnasNet-A1 (Tan et al. 2019), built from the block table of tensorflow/tpu mnasnet_models.py
/// through the EfficientNet-style builder (the two code bases share block strings and semantics).

#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/efficientnet.hpp>
#include <accelnas/zoo/options.hpp>

namespace accelnas::zoo {

/// The MnasNet-A1 block table (tensorflow/tpu mnasnet_models.py, `mnasnet_a1`).
inline std::vector<effnet_block> mnasnet_a1_blocks() {
    return parse_effnet_blocks({"r1_k3_s11_e1_i32_o16_noskip", "r2_k3_s22_e6_i16_o24",
                                "r3_k5_s22_e3_i24_o40_se0.25", "r4_k3_s22_e6_i40_o80",
                                "r2_k3_s11_e6_i80_o112_se0.25", "r3_k5_s22_e6_i112_o160_se0.25",
                                "r1_k3_s11_e6_i160_o320"});
}

/// Config of MnasNet-A1: ReLU everywhere (SE inner activation too), 224x224, 1000 classes.
inline effnet_config mnasnet_a1_config() {
    return {.name = "mnasnet_a1", .blocks = mnasnet_a1_blocks(), .act = graph::activation::relu,
            .se_inner = graph::activation::relu};
}

/// MnasNet-A1: 224x224, 1000 classes.
inline graph::network mnasnet_a1(const zoo_options& opt = {}) { return build_effnet(mnasnet_a1_config(), opt); }

}  // namespace accelnas::zoo
