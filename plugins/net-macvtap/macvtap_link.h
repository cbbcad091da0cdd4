/* macvtap links over rtnetlink (libnl-3 route): create one on a parent
 * interface, look one up, set its MAC address, bring it up, delete it.
 * The netlink socket is opened once (before the sandbox locks down) and
 * kept: the link comes up at start and is deleted at destroy, both after
 * lockdown, so only sendmsg/recvmsg on that socket are needed then.
 *
 * Functions return 0 or -errno and, on failure, write one line into `why`
 * naming the link and the step ("creating macvtap mvt0 on veth0: Operation
 * not permitted"). */
#ifndef VOLT_PLUGIN_MACVTAP_LINK_H
#define VOLT_PLUGIN_MACVTAP_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "tap.h"

struct nl_sock;

/* What a link is. */
struct mvt_link_info {
	int ifindex;
	bool is_macvtap;
	bool up;
	uint8_t mac[6];
};

int mvt_nl_open(struct nl_sock **sk, struct tap_why *why);
void mvt_nl_close(struct nl_sock *sk);
int mvt_nl_fd(struct nl_sock *sk);

/* "private", "vepa", "bridge", "passthru" -> MACVLAN_MODE_*; -1 if none. */
int mvt_mode_parse(const char *text);

/* Create macvtap `ifname` on `parent` in `mode`, down, with the kernel's
 * choice of MAC. */
int mvt_link_create(struct nl_sock *sk, const char *parent, const char *ifname, int mode,
		    struct tap_why *why);

/* Look up `name`; -ENODEV if there is none. */
int mvt_link_get(struct nl_sock *sk, const char *name, struct mvt_link_info *info,
		 struct tap_why *why);

int mvt_link_set_mac(struct nl_sock *sk, const char *ifname, const uint8_t mac[6],
		     struct tap_why *why);
int mvt_link_set_up(struct nl_sock *sk, const char *ifname, struct tap_why *why);

/* Delete the link with this index (an index is not reused while it
 * exists, so a name someone else took meanwhile is never deleted). */
int mvt_link_delete(struct nl_sock *sk, int ifindex, const char *ifname, struct tap_why *why);

/* The complete RTM_DELLINK request for link `ifindex` on socket `sk`
 * (its port and next sequence number, an ACK asked for), copied into buf
 * for sending later as it is: its length, or -errno. */
int mvt_link_delete_request(struct nl_sock *sk, int ifindex, void *buf, size_t size,
			    struct tap_why *why);

#endif
