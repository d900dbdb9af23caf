/* zip_name.h — the names a file takes inside an export archive: its own name, made safe to
 * unpack anywhere. The name was checked when the file was uploaded, but an archive is opened
 * by tools we do not control, on systems with rules of their own, so it is made safe again
 * here rather than trusted: a name is one path component, never a directory, absolute, "." or
 * "..", and holds nothing a file system or a terminal would read as more than a character.
 */
#ifndef COFFER_EXPORT_ZIP_NAME_H
#define COFFER_EXPORT_ZIP_NAME_H

#include <stddef.h>

/* Bytes of a safe name at most: room under 255 for a variant's " (N)" and any file system. */
#define ZIP_NAME_MAX 200

/* The safe form of the LEN bytes at NAME, into OUT (NUL-terminated, at most ZIP_NAME_MAX
 * bytes of valid UTF-8): every byte of an invalid UTF-8 sequence, a control character (C0,
 * DEL, C1), a bidirectional formatting character, a path separator ('/', '\\') and a
 * character Windows refuses in names (: * ? " < > |) becomes '_'; a leading or trailing
 * space or a trailing dot becomes '_'; a name of dots only becomes as many '_'; an empty name
 * becomes "unnamed". Longer names are cut at a character boundary, keeping the extension (the
 * part from the last dot, when it is short). */
void zip_name_safe(const char *name, size_t len, char out[ZIP_NAME_MAX + 1]);

/* The N-th name (N >= 2) for another file whose safe name SAFE is taken: "stem (N).ext", or
 * "SAFE (N)" without an extension, within ZIP_NAME_MAX + 16 bytes (OUT's size). */
#define ZIP_NAME_VARIANT_MAX (ZIP_NAME_MAX + 16)
void zip_name_variant(const char *safe, unsigned int n, char out[ZIP_NAME_VARIANT_MAX + 1]);

#endif
