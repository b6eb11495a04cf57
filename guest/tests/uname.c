/* uname: what the kernel says it is. */
#include "libc.h"

int main(void)
{
	struct utsname u;
	int r = uname(&u);
	if (r < 0)
		return dprintf(2, "uname: %s\n", strerror(-r)), 1;
	printf("%s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);
	return 0;
}
