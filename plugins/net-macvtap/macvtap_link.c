#include "macvtap_link.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_link.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvtap.h>
#include <netlink/socket.h>

__attribute__((format(printf, 3, 4)))
static int mvt_fail(struct tap_why *why, int nlerr, const char *fmt, ...)
{
	static const struct {
		int nle, err;
	} map[] = {
		{ NLE_PERM, EPERM },       { NLE_NOACCESS, EACCES }, { NLE_EXIST, EEXIST },
		{ NLE_NODEV, ENODEV },     { NLE_OBJ_NOTFOUND, ENODEV }, { NLE_NOMEM, ENOMEM },
		{ NLE_BUSY, EBUSY },       { NLE_OPNOTSUPP, EOPNOTSUPP }, { NLE_INVAL, EINVAL },
		{ NLE_RANGE, ERANGE },     { NLE_AGAIN, EAGAIN },   { NLE_INTR, EINTR },
	};
	int e = EIO, n;
	va_list ap;

	nlerr = nlerr < 0 ? -nlerr : nlerr;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == nlerr)
			e = map[i].err;
	va_start(ap, fmt);
	n = vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(why->text))
		snprintf(why->text + n, sizeof(why->text) - (size_t)n, ": %s",
			 e != EIO ? strerror(e) : nl_geterror(nlerr));
	return -e;
}

int mvt_nl_open(struct nl_sock **sk, struct tap_why *why)
{
	int r;

	*sk = nl_socket_alloc();
	if (!*sk)
		return mvt_fail(why, NLE_NOMEM, "opening a netlink socket");
	r = nl_connect(*sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(*sk);
		*sk = NULL;
		return mvt_fail(why, r, "connecting to rtnetlink");
	}
	return 0;
}

void mvt_nl_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk); /* closes it too */
}

int mvt_nl_fd(struct nl_sock *sk)
{
	return nl_socket_get_fd(sk);
}

int mvt_mode_parse(const char *text)
{
	static const struct {
		const char *name;
		int mode;
	} modes[] = {
		{ "private", MACVLAN_MODE_PRIVATE }, { "vepa", MACVLAN_MODE_VEPA },
		{ "bridge", MACVLAN_MODE_BRIDGE },   { "passthru", MACVLAN_MODE_PASSTHRU },
	};

	for (size_t i = 0; text && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(text, modes[i].name))
			return modes[i].mode;
	return -1;
}

int mvt_link_get(struct nl_sock *sk, const char *name, struct mvt_link_info *info,
		 struct tap_why *why)
{
	struct rtnl_link *link = NULL;
	struct nl_addr *addr;
	const char *type;
	int r = rtnl_link_get_kernel(sk, 0, name, &link);

	memset(info, 0, sizeof(*info));
	if (r < 0)
		return mvt_fail(why, r, "looking up %s", name);
	info->ifindex = rtnl_link_get_ifindex(link);
	type = rtnl_link_get_type(link);
	info->is_macvtap = type && !strcmp(type, "macvtap");
	info->up = rtnl_link_get_flags(link) & IFF_UP;
	addr = rtnl_link_get_addr(link);
	if (addr && nl_addr_get_len(addr) == 6)
		memcpy(info->mac, nl_addr_get_binary_addr(addr), 6);
	rtnl_link_put(link);
	return 0;
}

int mvt_link_create(struct nl_sock *sk, const char *parent, const char *ifname, int mode,
		    struct tap_why *why)
{
	struct mvt_link_info p;
	struct rtnl_link *link;
	int r = mvt_link_get(sk, parent, &p, why);

	if (r) {
		snprintf(why->text, sizeof(why->text), "creating macvtap %s on %s: the parent "
			 "interface: %s", ifname, parent, strerror(-r));
		return r;
	}
	link = rtnl_link_macvtap_alloc();
	if (!link)
		return mvt_fail(why, NLE_NOMEM, "creating macvtap %s on %s", ifname, parent);
	rtnl_link_set_name(link, ifname);
	rtnl_link_set_link(link, p.ifindex);
	r = rtnl_link_macvtap_set_mode(link, (uint32_t)mode);
	if (!r)
		r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	return r < 0 ? mvt_fail(why, r, "creating macvtap %s on %s", ifname, parent) : 0;
}

/* Apply `changes` to the link named ifname. */
static int mvt_link_change(struct nl_sock *sk, const char *ifname, struct rtnl_link *changes)
{
	struct rtnl_link *orig = NULL;
	int r = rtnl_link_get_kernel(sk, 0, ifname, &orig);

	if (r >= 0)
		r = rtnl_link_change(sk, orig, changes, 0);
	if (orig)
		rtnl_link_put(orig);
	return r;
}

int mvt_link_set_mac(struct nl_sock *sk, const char *ifname, const uint8_t mac[6],
		     struct tap_why *why)
{
	struct rtnl_link *changes = rtnl_link_alloc();
	struct nl_addr *addr = nl_addr_build(AF_LLC, mac, 6);
	int r = -NLE_NOMEM;

	if (changes && addr) {
		rtnl_link_set_addr(changes, addr);
		r = mvt_link_change(sk, ifname, changes);
	}
	if (addr)
		nl_addr_put(addr);
	if (changes)
		rtnl_link_put(changes);
	return r < 0 ? mvt_fail(why, r, "setting the MAC address of %s", ifname) : 0;
}

int mvt_link_set_up(struct nl_sock *sk, const char *ifname, struct tap_why *why)
{
	struct rtnl_link *changes = rtnl_link_alloc();
	int r = -NLE_NOMEM;

	if (changes) {
		rtnl_link_set_flags(changes, IFF_UP);
		r = mvt_link_change(sk, ifname, changes);
		rtnl_link_put(changes);
	}
	return r < 0 ? mvt_fail(why, r, "bringing %s up", ifname) : 0;
}

int mvt_link_delete(struct nl_sock *sk, int ifindex, const char *ifname, struct tap_why *why)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int r = -NLE_NOMEM;

	if (link) {
		rtnl_link_set_ifindex(link, ifindex);
		r = rtnl_link_delete(sk, link);
		rtnl_link_put(link);
	}
	return r < 0 ? mvt_fail(why, r, "deleting macvtap %s", ifname) : 0;
}

int mvt_link_delete_request(struct nl_sock *sk, int ifindex, void *buf, size_t size,
			    struct tap_why *why)
{
	struct rtnl_link *link = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	struct nlmsghdr *h;
	int r = -NLE_NOMEM;

	if (link) {
		rtnl_link_set_ifindex(link, ifindex);
		r = rtnl_link_build_delete_request(link, &msg);
		rtnl_link_put(link);
	}
	if (r < 0)
		return mvt_fail(why, r, "building the request that deletes link %d", ifindex);
	nl_complete_msg(sk, msg); /* port, sequence number, NLM_F_REQUEST | NLM_F_ACK */
	h = nlmsg_hdr(msg);
	r = (int)h->nlmsg_len;
	if (h->nlmsg_len > size)
		r = mvt_fail(why, NLE_RANGE, "the request that deletes link %d: %u bytes",
			     ifindex, h->nlmsg_len);
	else
		memcpy(buf, h, h->nlmsg_len);
	nlmsg_free(msg);
	return r;
}
