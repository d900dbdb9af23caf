/* version.h — coffer's own version. */
#ifndef COFFER_VERSION_H
#define COFFER_VERSION_H

#define COFFER_VERSION "0.1.0"

#endif
