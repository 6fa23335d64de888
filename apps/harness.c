/* harness.c: see harness.h. */
#include "harness.h"

int harness_csv_header(csv_writer *w, const char *const *cols, uint32_t n, const app_ops *app) {
  uint32_t head = n >= HARNESS_CSV_TEXT_COLUMNS ? n - HARNESS_CSV_TEXT_COLUMNS : 0;
  for (uint32_t i = 0; i < head; i++) csv_str(w, cols[i]);
  for (uint32_t k = 0; k < app->nextra; k++) csv_str(w, app->extra_names[k]);
  for (uint32_t i = head; i < n; i++) csv_str(w, cols[i]);
  return csv_end_row(w);
}

void harness_csv_extras(csv_writer *w, const app_ops *app, void *shared, const float *row) {
  for (uint32_t k = 0; k < app->nextra; k++) csv_real(w, app->extra(shared, row, k));
}
