/* app.h — what every handler may reach: the deployment's settings and its storage. */
#ifndef COFFER_APP_H
#define COFFER_APP_H

#include "config/config.h"
#include "store/store.h"

struct coffer_app {
	const struct coffer_config *cfg;
	const char *data_dir;
	struct store *store;
	int keyd_fd; /* the web process's end of the socket pair to the key service */
};

#endif
