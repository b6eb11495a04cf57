/*
 * A JSON writer into a sink, for --json: one object per command on the data channel. Strings are
 * escaped as JSON.stringify escapes them; bytes that are not UTF-8 become U+FFFD, so whatever the
 * VMM or guest memory holds, every line is valid JSON.
 */
#ifndef YMIRSH_JSON_H
#define YMIRSH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "lib/rt.h"

struct json {
	struct sink *sink;
	unsigned depth;
	unsigned char first[16]; /* per level: nothing written yet, so no comma */
	unsigned char after_key;
};

void json_start(struct json *j, struct sink *sink);
void json_open(struct json *j, char bracket);  /* '{' or '[' */
void json_close(struct json *j, char bracket); /* '}' or ']' */
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *text, size_t n);
void json_cstring(struct json *j, const char *text);
void json_u64(struct json *j, uint64_t value);
void json_i64(struct json *j, int64_t value);
void json_bool(struct json *j, int value);
/* A hex address as the TypeScript ymirsh wrote them: "0x1f". */
void json_hex(struct json *j, uint64_t value);

#endif
