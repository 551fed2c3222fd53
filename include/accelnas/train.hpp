#pragma once
/// \file
/// Umbrella header of the trainer: tape and ops (reverse-mode autodiff), gradient checker, model
/// built from a `graph::network`, optimizers and schedules, data sets (Fashion-MNIST, CIFAR-10/100;
/// image folders are the optional accelnas::image_io part), augmentation, the training loop, and
/// the cache sizes Eigen blocks matrix products by (blocking.hpp).

#include <accelnas/train/augment.hpp>
#include <accelnas/train/blocking.hpp>
#include <accelnas/train/checkpoint.hpp>
#include <accelnas/train/data_parallel.hpp>
#include <accelnas/train/cifar.hpp>
#include <accelnas/train/diverged.hpp>
#include <accelnas/train/fashion_mnist.hpp>
#include <accelnas/train/gradcheck.hpp>
#include <accelnas/train/image_set.hpp>
#include <accelnas/train/kernels.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/ops.hpp>
#include <accelnas/train/optimizers.hpp>
#include <accelnas/train/parameters.hpp>
#include <accelnas/train/supernet.hpp>
#include <accelnas/train/tape.hpp>
#include <accelnas/train/trainer.hpp>
