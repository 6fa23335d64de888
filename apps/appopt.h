/* appopt.h: what every app's "key=value,key=value" option parser shares:
 * the message prefix and the strict number reader. Owns nothing. */
#ifndef APPOPT_H
#define APPOPT_H

#include <stddef.h>

/* Writes "<app> options: " and the formatted message into err[errlen]
 * (if err is non-NULL) and returns ST_EPARSE. */
int appopt_fail(char *err, size_t errlen, const char *app, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The whole of s[0..len) as a finite number (no leading blank, nothing
 * after it): 0 and *out, or -1. */
int appopt_number(const char *s, size_t len, double *out);

#endif
