#pragma once
/// \file
/// The reference model zoo: every builder, the registry (`zoo::names`, `zoo::build`,
/// `zoo::published`) and NAS-Bench-201 networks.
#include <accelnas/zoo/densenet.hpp>
#include <accelnas/zoo/efficientnet.hpp>
#include <accelnas/zoo/inception.hpp>
#include <accelnas/zoo/mnasnet.hpp>
#include <accelnas/zoo/mobilenet.hpp>
#include <accelnas/zoo/nasbench201.hpp>
#include <accelnas/zoo/options.hpp>
#include <accelnas/zoo/resnet.hpp>
#include <accelnas/zoo/squeezenet.hpp>
#include <accelnas/zoo/vgg.hpp>
#include <accelnas/zoo/zoo.hpp>
