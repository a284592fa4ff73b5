/* SPDX-License-Identifier: MIT */
/* json.h - writing JSON objects one per line (--json), with exact string escaping. */
#ifndef NT_JSON_H
#define NT_JSON_H

#include <stdio.h>
#include <stddef.h>

/* A JSON string for n bytes of s (invalid UTF-8 bytes become U+FFFD). */
void json_str(FILE *f, const char *s, size_t n);
/* Helpers for one object: json_begin(f); json_kv_str(f, "name", v); ... json_end(f) (writes "}\n"). */
void json_begin(FILE *f);
void json_kv_str(FILE *f, const char *key, const char *val);  /* val NULL: null */
void json_kv_strn(FILE *f, const char *key, const char *val, size_t n);
void json_kv_int(FILE *f, const char *key, long long val);
/* A number with a fraction ("seconds": 0.125), printed with decimals places (0-9);
 * NaN or beyond +-1e18 prints null. */
void json_kv_num(FILE *f, const char *key, double val, int decimals);
void json_kv_bool(FILE *f, const char *key, int val);
void json_end(FILE *f);

#endif
