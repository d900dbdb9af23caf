/* blobs.c — blobs.h's calls, each checked once and handed to the backend behind the handle
 * (blob_backend.h). Ids pass uuid_valid here before any backend makes a path or an object key
 * of them: never a name of the caller's choosing. */
#include "store/blobs.h"

#include "common/uuid.h"
#include "store/blob_backend.h"

bool blob_keep_none(void *ctx, const char *file_id)
{
	(void)ctx;
	(void)file_id;
	return false;
}

void blob_store_free(struct blob_store *bs)
{
	if (bs != NULL)
		bs->ops->free(bs);
}

static bool ids_ok(struct blob_store *bs, const char *org_id, const char *file_id)
{
	return bs != NULL && uuid_valid(org_id) && (file_id == NULL || uuid_valid(file_id));
}

enum coffer_err blob_create(struct blob_store *bs, const char *org_id, const char *file_id,
			    struct blob_writer **out)
{
	if (!ids_ok(bs, org_id, file_id) || file_id == NULL)
		return COFFER_ERR_INVALID_INPUT;
	return bs->ops->create(bs, org_id, file_id, out);
}

enum coffer_err blob_write(struct blob_writer *w, const void *data, size_t len)
{
	if (data == NULL && len > 0)
		return COFFER_ERR_INVALID_INPUT;
	return w->ops->write(w, data, len);
}

enum coffer_err blob_commit(struct blob_writer *w)
{
	return w->ops->commit(w);
}

void blob_abort(struct blob_writer *w)
{
	if (w != NULL)
		w->ops->abort(w);
}

enum coffer_err blob_open(struct blob_store *bs, const char *org_id, const char *file_id,
			  struct blob_reader **out, uint64_t *size)
{
	if (!ids_ok(bs, org_id, file_id) || file_id == NULL)
		return COFFER_ERR_INVALID_INPUT;
	return bs->ops->open(bs, org_id, file_id, out, size);
}

enum coffer_err blob_read_at(struct blob_reader *r, uint64_t offset, void *buf, size_t len)
{
	if ((buf == NULL && len > 0) || offset > (uint64_t)INT64_MAX ||
	    len > (uint64_t)INT64_MAX - offset)
		return COFFER_ERR_INVALID_INPUT;
	if (len == 0)
		return COFFER_OK;
	return r->ops->read_at(r, offset, buf, len);
}

void blob_close(struct blob_reader *r)
{
	if (r != NULL)
		r->ops->close(r);
}

enum coffer_err blob_remove(struct blob_store *bs, const char *org_id, const char *file_id)
{
	if (!ids_ok(bs, org_id, file_id) || file_id == NULL)
		return COFFER_ERR_INVALID_INPUT;
	return bs->ops->remove(bs, org_id, file_id);
}

enum coffer_err blob_remove_org(struct blob_store *bs, const char *org_id, size_t *removed)
{
	if (!ids_ok(bs, org_id, NULL) || removed == NULL)
		return COFFER_ERR_INVALID_INPUT;
	*removed = 0;
	return bs->ops->remove_org(bs, org_id, removed);
}

enum coffer_err blob_sweep(struct blob_store *bs, const char *org_id, int64_t before_ns,
			   bool (*keep)(void *ctx, const char *file_id), void *ctx, size_t *removed)
{
	if (!ids_ok(bs, org_id, NULL) || keep == NULL || removed == NULL)
		return COFFER_ERR_INVALID_INPUT;
	return bs->ops->sweep(bs, org_id, before_ns, keep, ctx, removed);
}
