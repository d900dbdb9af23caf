/* s3_status.c — the meaning of the store's answers (see s3_status.h). */
#include "s3/s3_status.h"

enum coffer_err s3_status_err(long status)
{
	if (status >= 200 && status <= 299)
		return COFFER_OK;
	if (status == 403)
		return COFFER_ERR_FORBIDDEN;
	if (status == 404)
		return COFFER_ERR_NOT_FOUND;
	if (s3_status_retryable(status))
		return COFFER_ERR_UNAVAILABLE;
	if ((status >= 400 && status <= 499) || status == 501)
		return COFFER_ERR_IO;
	return COFFER_ERR_STORAGE;
}

bool s3_status_retryable(long status)
{
	return status == 429 || (status >= 500 && status <= 599 && status != 501);
}

enum coffer_err s3_transport_err(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK: return COFFER_OK;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT: return COFFER_ERR_CONFIG;
	case CURLE_OUT_OF_MEMORY: return COFFER_ERR_NOMEM;
	case CURLE_READ_ERROR: return COFFER_ERR_IO; /* our own body file */
	default: return COFFER_ERR_UNAVAILABLE;
	}
}

bool s3_transport_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SEND_FAIL_REWIND: return true;
	default: return false;
	}
}
