/*
 * Program entry. exec() enters user mode here with a0 = argc, a1 = argv and a 16-byte
 * aligned stack, which is exactly a C call, so _start can be an ordinary C function.
 * Returning from main is the same as calling exit() with its value.
 */
#include "kernel/types.h"
#include "user/user.h"

int main(int argc, char *argv[]);
void _start(int argc, char *argv[]);

void _start(int argc, char *argv[])
{
	exit(main(argc, argv));
}
