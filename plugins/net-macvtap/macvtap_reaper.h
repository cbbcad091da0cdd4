/* The reaper of an owned macvtap link: a small process that deletes the
 * link if volt ends without deleting it itself.
 *
 * A macvtap link outlives the process that made it. volt deletes the links
 * it owns on every path it takes (docs/architecture.md), but it takes no
 * path at all when it is killed: SIGKILL, the OOM killer, the sandbox's
 * kill on a violation. Only another process can act then; a short-lived
 * VM on a dense host is exactly where such kills happen, and each would
 * leave an interface behind on the parent.
 *
 * The reaper is forked (twice, so that init, not volt, is its parent)
 * while the plugin realizes, before lockdown: it keeps the rights volt
 * had then (CAP_NET_ADMIN), which volt itself may give up at lockdown
 * ([sandbox] user). It holds one end of a socket pair whose other end only
 * volt holds, and a netlink socket of its own; it closes every other fd,
 * blocks every signal (only SIGKILL ends it early) and enters seccomp's
 * strict mode (read, write, exit): it can do nothing but wait and send the
 * one request it was given. Either volt asks (one byte, from destroy): it
 * sends RTM_DELLINK for the link's index, answers with the kernel's
 * result and exits; volt reports it. Or the pair reads end of file (volt
 * is gone): it sends the request and says, on volt's stderr, that it
 * deleted the link or why it could not.
 * An index is not reused while the kernel counts up, so the request can
 * only ever name this link.
 *
 * What it cannot cover: SIGKILL to every process of volt's cgroup (the
 * reaper is in it; it has left volt's session and process group, so a
 * group kill does not reach it), and volt as init of its own PID namespace
 * (the kernel kills every process in it when volt ends). */
#ifndef VOLT_PLUGIN_MACVTAP_REAPER_H
#define VOLT_PLUGIN_MACVTAP_REAPER_H

#include <volt/volt.h>

#include "tap.h"

struct mvt_reaper_job {
	const struct volt_host_api *host; /* the instance's name, for its line */
	struct volt_instance *inst;
	const char *ifname;
	int ifindex;
};

/* Start the reaper of job's link: volt's end of the pair, or -errno with
 * `why` set. */
int mvt_reaper_start(const struct mvt_reaper_job *job, struct tap_why *why);

/* Have the reaper delete the link now, waiting at most wait_ms for it: the
 * kernel's answer (0 or -errno), or -ECHILD if the reaper did not answer
 * (gone: delete it some other way). Close fd afterwards; the reaper has
 * exited. */
int mvt_reaper_delete(int fd, int wait_ms);

#endif
