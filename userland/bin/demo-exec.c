/*
 * demo-exec [-n]: demand-paged exec (docs/vm.md, "Demand-paged exec"). exec maps the
 * program file's pages and reads none of them; each arrives on first touch, from the
 * page cache if the program has been run (or read) since its pages were last reclaimed,
 * else from disk.
 */
#include "kernel/types.h"
#include "user/user.h"
#include "vmlib.h"

int main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "-child") == 0)
		exit(0); /* a second copy of this program, for step 4: it only starts and exits */
	int me = getpid();
	demo_args(argc, argv);
	printf("demo-exec: pid %d. exec reads nothing: pages come in on first touch.\n", me);

	step("Which pages of the program echo are in the page cache now. The cache keeps a "
	     "file's pages after its last user is gone, until reclaim needs the memory: if "
	     "echo ran since boot, some are still there.");
	char *pc_echo[] = {"pcache", "echo", 0};
	run(pc_echo);

	step("vmtrace echo hello: exec maps echo and returns; the first instruction fetch of "
	     "each text page it runs finds that page in the cache (cache hit) or reads it from "
	     "disk (disk read). (The first record is vmtrace's child storing to its "
	     "fork-shared stack just before it execs.)");
	char *trace_echo[] = {"vmtrace", "echo", "hello", 0};
	run(trace_echo);

	step("This program is running, so its file is mapped and the pages it has touched are "
	     "cached (m: mapped by us).");
	char *pc_self[] = {"pcache", "demo-exec", 0};
	run(pc_self);

	step("vmtrace of a second copy of this program: its text pages are found in the cache "
	     "(cache hit), no disk read, because we are running the same file.");
	char *trace_self[] = {"vmtrace", "demo-exec", "-child", 0};
	run(trace_self);

	step("Our own map: text is s (the cache's frames, shared with every copy of us).");
	run_pid("vmmap", me);
	printf("\ndemo-exec: done\n");
	exit(0);
}
