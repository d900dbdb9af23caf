/* common_passwords_data.S — the common-password list (data/common-passwords-top100k.txt)
 * built into the binary, so a deployment needs no file for it at run time. common_passwords.c
 * reads it through the two symbols below. */
	.section .rodata
	.global coffer_common_passwords
	.global coffer_common_passwords_end
	.type coffer_common_passwords, @object
coffer_common_passwords:
	.incbin "data/common-passwords-top100k.txt"
coffer_common_passwords_end:
	.byte 0
	.section .note.GNU-stack, "", @progbits
