/* harness.h: what both backends do the same way around an app: the CSV's
 * app-dependent columns (the objective's extra metrics). Owns nothing; every
 * pointer is borrowed for the call. */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdint.h>

#include "app.h"
#include "csv.h"

/* Columns every CSV ends with (free text, so a quoted comma in them cannot
 * shift earlier columns for tools that split on commas). */
#define HARNESS_CSV_TEXT_COLUMNS 2u

/* Writes the header cols[0..n) with app's extra metric names inserted before
 * the last HARNESS_CSV_TEXT_COLUMNS. 0 or ST_EIO. */
int harness_csv_header(csv_writer *w, const char *const *cols, uint32_t n, const app_ops *app);
/* Appends app's extra metrics of one summed metrics row. */
void harness_csv_extras(csv_writer *w, const app_ops *app, void *shared, const float *row);

#endif
