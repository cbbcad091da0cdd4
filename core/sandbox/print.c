/* --print-sandbox-policy: the merged policy as a reader audits it. One
 * section per thread type, one line per rule (syscall, argument
 * constraints, who asked, why), sorted by syscall; then the Landlock
 * rights and rules. Nothing here changes the process. */
#include "sandbox/sandbox.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/landlock.h"

/* The arg0 part: "stdin", "fd slot 0 (fd 12)", "a vCPU fd (9, 10)". */
static void sb_print_arg0(const struct sb_rule *r, char *buf, size_t cap)
{
	size_t used;
	int n;

	n = snprintf(buf, cap, "arg0 = %s", r->arg0_what ? r->arg0_what : "value");
	used = n > 0 && (size_t)n < cap ? (size_t)n : cap - 1;
	if (r->narg0 == 1 && r->arg0_vals[0] == SB_FD_AT_REALIZE)
		return;
	n = snprintf(buf + used, cap - used, " (");
	used += n > 0 ? (size_t)n : 0;
	for (unsigned i = 0; i < r->narg0 && used < cap; i++) {
		int v = r->arg0_vals[i];

		if (v == SB_FD_UNBOUND)
			n = snprintf(buf + used, cap - used, "%snever bound", i ? ", " : "");
		else
			n = snprintf(buf + used, cap - used, "%s%d", i ? ", " : "", v);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used < cap)
		snprintf(buf + used, cap - used, ")");
}

static void sb_print_constraints(const struct sb_rule *r, char *buf, size_t cap)
{
	size_t used = 0;
	char part[512];

	buf[0] = '\0';
	if (r->pin_arg0) {
		sb_print_arg0(r, part, sizeof(part));
		used += (size_t)snprintf(buf + used, cap - used, "%s", part);
	}
	if (r->nioctls && used < cap) {
		used += (size_t)snprintf(buf + used, cap - used, "%sarg1 in {", used ? "; " : "");
		for (unsigned i = 0; i < r->nioctls && used < cap; i++) {
			if (r->ioctls[i].name)
				used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
							 r->ioctls[i].name);
			else
				used += (size_t)snprintf(buf + used, cap - used, "%s0x%" PRIx64,
							 i ? ", " : "", r->ioctls[i].req);
		}
		if (used < cap)
			used += (size_t)snprintf(buf + used, cap - used, "}");
	}
	if (r->nargs && used < cap)
		snprintf(buf + used, cap - used, "%s%s", used ? "; " : "",
			 r->args_what ? r->args_what : "further arguments fixed");
	if (!buf[0])
		snprintf(buf, cap, "any arguments");
}

static const struct sb_rule *sb_sort_base;

static int sb_cmp_rules(const void *a, const void *b)
{
	const struct sb_rule *ra = &sb_sort_base[*(const size_t *)a];
	const struct sb_rule *rb = &sb_sort_base[*(const size_t *)b];
	int c = strcmp(ra->name, rb->name);

	if (c)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void sb_print_type(const struct sb_policy *p, uint32_t type, const char *title,
			  FILE *out)
{
	size_t *idx = calloc(p->nrules ? p->nrules : 1, sizeof(*idx));
	size_t n = 0;
	char cons[1024];

	fprintf(out, "\n%s: %u distinct syscalls\n", title, sb_policy_count(p, type));
	if (!idx)
		return;
	for (size_t i = 0; i < p->nrules; i++)
		if (sb_rule_applies(&p->rules[i], type))
			idx[n++] = i;
	sb_sort_base = p->rules;
	qsort(idx, n, sizeof(*idx), sb_cmp_rules);
	for (size_t i = 0; i < n; i++) {
		const struct sb_rule *r = &p->rules[idx[i]];

		sb_print_constraints(r, cons, sizeof(cons));
		fprintf(out, "  %-16s %-52s %s: %s%s\n", r->name, cons, r->who, r->why,
			sb_rule_live(r) ? "" : " [left out: its fd slot was never bound]");
	}
	free(idx);
}

static void sb_print_landlock(const struct sandbox *sb, FILE *out)
{
	struct sb_landlock_rights h;
	int kabi = sb_landlock_abi();
	char names[512];

	fprintf(out, "\nLandlock: ");
	if (!sb->opt.landlock) {
		fprintf(out, "off (--no-landlock)\n");
		return;
	}
	if (!kabi) {
		fprintf(out, "not available in this kernel (the filesystem will not be "
			"restricted)\n");
		return;
	}
	sb_landlock_handled(kabi, &h);
	sb_landlock_fs_names(h.fs, names, sizeof(names));
	fprintf(out, "ABI %d (the best this kernel offers, up to %d)\n", kabi,
		SB_LANDLOCK_ABI_MAX);
	fprintf(out, "  denied unless a rule allows: %s\n", names);
	if (h.net)
		fprintf(out, "  TCP bind and connect: denied (no network rules)\n");
	if (h.scoped)
		fprintf(out, "  scoped: abstract unix sockets and signals outside the process\n");
	if (sb->plugins_unrealized)
		fprintf(out, "  rules: %s; a plugin may add paths when it realizes, which this "
			"printout does not run (its file calls are listed above)\n",
			sb->policy.npaths ? "the core's, below" : "none of the core's");
	else if (!sb->policy.npaths)
		fprintf(out, "  rules: none: no file can be opened after lockdown\n");
	for (size_t i = 0; i < sb->policy.npaths; i++) {
		const struct sb_path *sp = &sb->policy.paths[i];

		fprintf(out, "  %-40s %-12s %s\n", sp->path,
			sp->access & VOLT_PATH_REMOVE ? "remove files" :
			sp->access & VOLT_PATH_WRITE ? "read-write" : "read-only", sp->who);
	}
}

void sandbox_print(const struct sandbox *sb, FILE *out)
{
	const struct sb_policy *p = &sb->policy;

	fprintf(out, "seccomp: %s; a syscall outside the filter is reported on one line and "
		"the process exits with status %d\n",
		sb->opt.seccomp ? "on" : "off (--no-seccomp)", SANDBOX_EXIT_STATUS);
	sb_print_type(p, 0, "process-wide filter (every thread, loaded with TSYNC)", out);
	sb_print_type(p, VOLT_THREAD_MAIN, "main thread (event loop, plugin realize/start hooks)",
		      out);
	sb_print_type(p, VOLT_THREAD_VCPU, "vcpu threads (KVM_RUN, MMIO/PIO handlers)", out);
	sb_print_type(p, VOLT_THREAD_IO, "io threads (one per device instance)", out);
	if (sb->api)
		sb_print_type(p, SB_THREAD_API, "api thread (the control API, --api-sock)", out);
	sb_print_landlock(sb, out);
}
