/* halt: power the machine off. */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"

int main(void)
{
	halt();
	fprintf(2, "halt: failed\n");
	exit(1);
}
