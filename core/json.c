/* SPDX-License-Identifier: MIT */
/* json.c - one JSON object per line, strings escaped exactly.
 *
 * Header: include/json.h    Tests: tests/unit/check_misc.c
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "out.h"

static int first;

void json_str(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc((int)c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default: fprintf(f, "\\u%04x", c);
			}
			i++;
		} else if (c < 0x80) {
			fputc((int)c, f);
			i++;
		} else {
			size_t l = out_utf8_len(p + i, n - i);
			if (!l) {
				fputs("\\ufffd", f);
				i++;
			} else if (l == 2 && c == 0xc2 && p[i + 1] <= 0x9f) {
				fprintf(f, "\\u%04x", p[i + 1]); /* C1 controls escaped, as C0 (out.h) */
				i += 2;
			} else {
				fwrite(p + i, 1, l, f);
				i += l;
			}
		}
	}
	fputc('"', f);
}

void json_begin(FILE *f)
{
	fputc('{', f);
	first = 1;
}

static void key(FILE *f, const char *k)
{
	if (!first)
		fputc(',', f);
	first = 0;
	json_str(f, k, strlen(k));
	fputc(':', f);
}

void json_kv_str(FILE *f, const char *k, const char *val)
{
	key(f, k);
	if (val)
		json_str(f, val, strlen(val));
	else
		fputs("null", f);
}

void json_kv_strn(FILE *f, const char *k, const char *val, size_t n)
{
	key(f, k);
	json_str(f, val, n);
}

void json_kv_int(FILE *f, const char *k, long long val)
{
	key(f, k);
	fprintf(f, "%lld", val);
}

void json_kv_num(FILE *f, const char *k, double val, int decimals)
{
	key(f, k);
	if (val != val || val > 1e18 || val < -1e18)
		fputs("null", f); /* NaN or out of range: not a JSON number */
	else
		fprintf(f, "%.*f", decimals < 0 ? 0 : decimals > 9 ? 9 : decimals, val);
}

void json_kv_bool(FILE *f, const char *k, int val)
{
	key(f, k);
	fputs(val ? "true" : "false", f);
}

void json_end(FILE *f)
{
	fputs("}\n", f);
}
