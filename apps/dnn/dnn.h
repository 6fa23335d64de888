/* dnn.h: the DNN app: a multilayer perceptron trained by data-parallel
 * minibatch SGD on the PS, on an IDX image set (Fashion-MNIST by default).
 * The loaded images, options and initial parameters are shared read-only
 * by all workers of a process; each worker owns its working copy of the
 * parameters, its shards' index lists and its scratch buffers. */
#ifndef DNN_DNN_H
#define DNN_DNN_H

#include "../app.h"

/* Tables 1..nl: layer l's parameters are table DNN_TABLE0 + l, one row
 * per block of row_units output units (see net.h), as deltas from the
 * seeded init, which every process computes itself. */
#define DNN_TABLE0 1u

/* Where Debian's dataset-fashion-mnist package puts the files. */
#define DNN_DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

extern const app_ops dnn_app;

#endif
