/* s3_list.c — ListObjectsV2 under a prefix, following continuation tokens (see s3_list.h). */
#include "s3/s3_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/s3_query.h"
#include "s3/s3_request.h"
#include "s3/s3_xml.h"

enum coffer_err s3_list_objects(struct s3_client *c, const char *prefix,
				enum coffer_err (*fn)(void *ctx, const struct s3_object *o),
				void *ctx)
{
	enum coffer_err err = COFFER_OK;
	char max[16];
	char *query = NULL, *token = NULL;
	struct s3_xml_page *page = NULL;
	if (c == NULL || prefix == NULL || fn == NULL || !s3_prefix_valid(prefix))
		return COFFER_ERR_INVALID_INPUT;
	/* A token is up to S3_TOKEN_MAX bytes, three times that encoded: off the stack. */
	page = calloc(1, sizeof *page);
	query = malloc(S3_QUERY_MAX);
	token = malloc(S3_TOKEN_MAX + 1);
	if (page == NULL || query == NULL || token == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	snprintf(max, sizeof max, "%u", c->list_page_size);
	token[0] = '\0';
	for (;;) {
		struct s3_param params[4] = {
		    {"list-type", "2"}, {"prefix", prefix}, {"max-keys", max}};
		size_t n = 3;
		if (token[0] != '\0')
			params[n++] = (struct s3_param){"continuation-token", token};
		err = s3_query_build(params, n, query, S3_QUERY_MAX);
		if (err != COFFER_OK)
			break;
		struct s3_request rq = {
		    .op = "list_objects", .method = "GET", .query = query, .want_body = true};
		struct s3_response rs;
		err = s3_request_send(c, &rq, &rs);
		if (err == COFFER_OK)
			err = s3_xml_objects(rs.body, rs.body_len, fn, ctx, page);
		s3_response_clear(&rs);
		if (err != COFFER_OK || !page->truncated)
			break;
		if (strcmp(token, page->next_token) == 0) {
			err = COFFER_ERR_IO; /* the same page again: the listing would never end */
			break;
		}
		memcpy(token, page->next_token, strlen(page->next_token) + 1);
	}
out:
	free(token);
	free(query);
	free(page);
	return err;
}
