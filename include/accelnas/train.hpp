#pragma once
/// \file
/// Umbrella header of the trainer: tape and ops (reverse-mode autodiff), gradient checker, model
/// built from a `graph::network`, optimizers and schedules, Fashion-MNIST, the training loop.

#include <accelnas/train/checkpoint.hpp>
#include <accelnas/train/diverged.hpp>
#include <accelnas/train/fashion_mnist.hpp>
#include <accelnas/train/gradcheck.hpp>
#include <accelnas/train/kernels.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/ops.hpp>
#include <accelnas/train/optimizers.hpp>
#include <accelnas/train/parameters.hpp>
#include <accelnas/train/tape.hpp>
#include <accelnas/train/trainer.hpp>
