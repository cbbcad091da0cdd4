/* CPUID filtering. The guest sees KVM_GET_SUPPORTED_CPUID, edited by the one
 * rule table below: each row names a leaf, the function that rewrites its
 * entries, and why. Leaves without a row pass through unchanged.
 *
 * Topology: one socket of `count` single-thread cores, APIC ID == vCPU index.
 * Every leaf a guest may read topology from (1, 4, 0xB, 0x1F on Intel;
 * 0x80000008, 0x8000001D, 0x8000001E on AMD) must tell the same story, or
 * Linux warns and builds a wrong sched/cache topology. */
#include "vm/cpuid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <asm/kvm_para.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* KVM reports about 100 entries today; the cap only stops a runaway loop. */
#define CPUID_FIRST_GUESS	64
#define CPUID_MAX_ENTRIES	4096

/* The narrowest topology field, CPUID.4:EAX[31:26], holds cores - 1 in 6 bits. */
#define CPUID_MAX_VCPUS		64

/* CPUID.1:EBX */
#define CPUID_1_EBX_NLP		0x00ff0000u	/* addressable logical processor IDs in the package */
#define CPUID_1_EBX_APIC_ID	0xff000000u	/* initial APIC ID */
/* CPUID.1:ECX */
#define CPUID_1_ECX_DTES64	(1u << 2)	/* 64-bit debug store: no PEBS/BTS buffers for guests */
#define CPUID_1_ECX_MONITOR	(1u << 3)	/* MONITOR/MWAIT: KVM runs them as NOPs, so idle would spin */
#define CPUID_1_ECX_DS_CPL	(1u << 4)	/* CPL-qualified debug store: same as DTES64 */
#define CPUID_1_ECX_VMX		(1u << 5)	/* no nested virtualization */
#define CPUID_1_ECX_SMX		(1u << 6)	/* no TXT/GETSEC in a guest */
#define CPUID_1_ECX_PDCM	(1u << 15)	/* IA32_PERF_CAPABILITIES: part of the PMU, which guests lack */
#define CPUID_1_ECX_TSC_DEADLINE	(1u << 24)	/* KVM emulates it; the VMM sets the bit */
#define CPUID_1_ECX_HYPERVISOR	(1u << 31)	/* tells the guest it is virtualized */
/* CPUID.1:EDX */
#define CPUID_1_EDX_HTT		(1u << 28)	/* CPUID.1:EBX[23:16] is valid (more than one CPU) */

/* CPUID.4 (Intel) and CPUID.8000001D (AMD) share these EAX fields. */
#define CPUID_CACHE_EAX_TYPE	0x0000001fu	/* 0: no more caches */
#define CPUID_CACHE_EAX_LEVEL	0x000000e0u	/* 1 = L1 ... */
#define CPUID_CACHE_EAX_SHARING	0x03ffc000u	/* logical processors sharing this cache - 1 */
#define CPUID_4_EAX_CORES	0xfc000000u	/* Intel only: cores in the package - 1 */

/* CPUID.6:EAX */
#define CPUID_6_EAX_ARAT	(1u << 2)	/* KVM's LAPIC timer never stops in idle */

/* CPUID.7.0:EBX */
#define CPUID_7_EBX_HLE		(1u << 4)	/* TSX: off on most hosts for TAA, and not migratable */
#define CPUID_7_EBX_RTM		(1u << 11)	/* TSX, as HLE */
#define CPUID_7_EBX_RDT_M	(1u << 12)	/* cache monitoring: KVM does not virtualize it */
#define CPUID_7_EBX_MPX		(1u << 14)	/* removed from Linux and KVM */
#define CPUID_7_EBX_RDT_A	(1u << 15)	/* cache allocation: KVM does not virtualize it */

/* CPUID.0xB and 0x1F: ECX[15:8] is the level type. */
#define CPUID_TOPO_ECX_SUBLEAF	0x000000ffu	/* echoes the input subleaf */
#define CPUID_TOPO_ECX_TYPE	0x0000ff00u
#define CPUID_TOPO_TYPE_INVALID	0
#define CPUID_TOPO_TYPE_SMT	1
#define CPUID_TOPO_TYPE_CORE	2
#define CPUID_TOPO_SUBLEAVES	3		/* SMT, core, then the invalid terminator */

/* CPUID.80000001:ECX (AMD) */
#define CPUID_80000001_ECX_SVM		(1u << 2)	/* no nested virtualization, as VMX */
/* AMD's core, northbridge and L3 performance counters: no guest PMU. */
#define CPUID_80000001_ECX_PERFCTR	((1u << 23) | (1u << 24) | (1u << 28))
/* CPUID.80000001:EDX: a 64-bit kernel cannot boot without these. */
#define CPUID_80000001_EDX_SYSCALL	(1u << 11)
#define CPUID_80000001_EDX_NX		(1u << 20)
#define CPUID_80000001_EDX_LM		(1u << 29)

/* CPUID.80000007:EDX */
#define CPUID_80000007_EDX_INVARIANT_TSC (1u << 8)	/* lets the guest use the TSC as clocksource */

/* CPUID.80000008:ECX (AMD) */
#define CPUID_80000008_ECX_NC		0x000000ffu	/* threads in the package - 1 */
#define CPUID_80000008_ECX_APIC_ID_SIZE	0x0000f000u	/* APIC ID bits naming a thread in the package */

/* CPUID.8000001E (AMD) */
#define CPUID_8000001E_EBX_CORE_ID	0x000000ffu
#define CPUID_8000001E_EBX_THREADS	0x0000ff00u	/* threads per core - 1 */

static const char cpuid_kvm_signature[12] = "KVMKVMKVM\0\0\0";

struct cpuid_topo {
	unsigned index;		/* this vCPU; also its (x2)APIC ID */
	unsigned count;		/* vCPUs, all cores of one socket */
	bool amd;		/* host vendor describes topology AMD's way */
};

typedef void cpuid_fix_fn(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t);

struct cpuid_rule {
	uint32_t leaf;
	uint32_t nsub;		/* subleaves 0..nsub-1 are added if missing (and in range) */
	cpuid_fix_fn *fix;	/* NULL: KVM's answer is kept as it is */
	const char *why;
};

/* Replace the bits of reg under mask with val, shifted to the mask's low bit. */
static uint32_t field_put(uint32_t reg, uint32_t mask, uint32_t val)
{
	return (reg & ~mask) | ((val << __builtin_ctz(mask)) & mask);
}

static uint32_t field_get(uint32_t reg, uint32_t mask)
{
	return (reg & mask) >> __builtin_ctz(mask);
}

/* Bits needed to number n things: 1 -> 0, 2 -> 1, 3..4 -> 2, ... */
static uint32_t cpuid_order(unsigned n)
{
	uint32_t bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

static void cpuid_fix_zero(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	e->eax = e->ebx = e->ecx = e->edx = 0;
}

static void cpuid_fix_features(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	e->ecx &= ~(CPUID_1_ECX_DTES64 | CPUID_1_ECX_MONITOR | CPUID_1_ECX_DS_CPL |
		    CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_PDCM);
	e->ecx |= CPUID_1_ECX_HYPERVISOR;
	e->ebx = field_put(e->ebx, CPUID_1_EBX_APIC_ID, t->index);
	/* "Addressable IDs" is a power of two, as Firecracker and hardware report it. */
	e->ebx = field_put(e->ebx, CPUID_1_EBX_NLP, 1u << cpuid_order(t->count));
	if (t->count > 1)
		e->edx |= CPUID_1_EDX_HTT;
	else
		e->edx &= ~CPUID_1_EDX_HTT;
}

/* With one thread per core only caches above L2 are shared, and by all cores. */
static void cpuid_fix_cache_sharing(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	unsigned sharing;

	if (!field_get(e->eax, CPUID_CACHE_EAX_TYPE))
		return;
	sharing = field_get(e->eax, CPUID_CACHE_EAX_LEVEL) >= 3 ? t->count : 1;
	e->eax = field_put(e->eax, CPUID_CACHE_EAX_SHARING, sharing - 1);
}

static void cpuid_fix_intel_cache(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	if (!field_get(e->eax, CPUID_CACHE_EAX_TYPE))
		return;
	cpuid_fix_cache_sharing(e, t);
	e->eax = field_put(e->eax, CPUID_4_EAX_CORES, t->count - 1);
}

static void cpuid_fix_ext_features(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	if (e->index != 0)
		return;
	e->ebx &= ~(CPUID_7_EBX_HLE | CPUID_7_EBX_RTM | CPUID_7_EBX_RDT_M |
		    CPUID_7_EBX_MPX | CPUID_7_EBX_RDT_A);
}

/* Subleaf 0 is the SMT level (1 thread), 1 the core level (all vCPUs), the
 * rest invalid. EDX is the x2APIC ID in every subleaf. */
static void cpuid_fix_topology(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	uint32_t type = CPUID_TOPO_TYPE_INVALID;

	e->flags |= KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	e->eax = e->ebx = 0;
	if (e->index == 0) {
		type = CPUID_TOPO_TYPE_SMT;
		e->ebx = 1;
	} else if (e->index == 1) {
		type = CPUID_TOPO_TYPE_CORE;
		e->eax = cpuid_order(t->count);
		e->ebx = t->count;
	}
	e->ecx = field_put(e->index & CPUID_TOPO_ECX_SUBLEAF, CPUID_TOPO_ECX_TYPE, type);
	e->edx = t->index;
}

static void cpuid_fix_kvm_signature(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	e->eax = KVM_CPUID_FEATURES;
	memcpy(&e->ebx, cpuid_kvm_signature, 4);
	memcpy(&e->ecx, cpuid_kvm_signature + 4, 4);
	memcpy(&e->edx, cpuid_kvm_signature + 8, 4);
}

/* kvm_amd offers SVM whenever its nested parameter is on (the default),
 * and KVM lets a guest set EFER.SVME only if its CPUID has the bit: hiding
 * it keeps nested SVM, KVM's most bug-prone code, out of a guest's reach. */
static void cpuid_fix_ext_amd_features(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	e->ecx &= ~(CPUID_80000001_ECX_SVM | CPUID_80000001_ECX_PERFCTR);
	e->edx |= CPUID_80000001_EDX_SYSCALL | CPUID_80000001_EDX_NX | CPUID_80000001_EDX_LM;
}

/* Thermal and power management belong to the host. ARAT stays as KVM sets
 * it: without it Linux on Intel takes the LAPIC timer for one that stops in
 * deep idle and looks for a broadcast timer. */
static void cpuid_fix_thermal(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	e->eax &= CPUID_6_EAX_ARAT;
	e->ebx = e->ecx = e->edx = 0;
}

static void cpuid_fix_power(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	e->eax = e->ebx = e->ecx = 0;
	e->edx &= CPUID_80000007_EDX_INVARIANT_TSC;
}

/* Linux on AMD takes the core count from here when TOPOEXT is off; the APIC
 * ID size matches the core shift of leaf 0xB. Reserved on Intel. */
static void cpuid_fix_amd_size(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	if (!t->amd)
		return;
	e->ecx = field_put(e->ecx, CPUID_80000008_ECX_NC, t->count - 1);
	e->ecx = field_put(e->ecx, CPUID_80000008_ECX_APIC_ID_SIZE, cpuid_order(t->count));
}

/* KVM answers zeros here, but with TOPOEXT Linux takes the initial APIC ID
 * from EAX: zeros would make every vCPU claim APIC ID 0. */
static void cpuid_fix_amd_topology(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	e->eax = t->index;
	e->ebx = field_put(0, CPUID_8000001E_EBX_CORE_ID, t->index);
	e->ebx = field_put(e->ebx, CPUID_8000001E_EBX_THREADS, 0);
	e->ecx = 0;	/* node 0 of a one-node socket */
	e->edx = 0;
}

static const struct cpuid_rule cpuid_rules[] = {
	{ 0x00000000, 0, NULL, "host vendor and max leaf: the guest picks vendor code paths from it" },
	{ 0x00000001, 0, cpuid_fix_features, "hide VMX/SMX/DS/MONITOR, announce a hypervisor, per-vCPU APIC ID and count" },
	{ 0x00000004, 0, cpuid_fix_intel_cache, "Intel cache sharing and core count of our topology, not the host's" },
	{ 0x00000006, 0, cpuid_fix_thermal, "thermal and power management belong to the host; ARAT as KVM says" },
	{ 0x00000007, 0, cpuid_fix_ext_features, "no TSX, MPX or RDT: not virtualized or not safe to expose" },
	{ 0x0000000a, 0, cpuid_fix_zero, "no guest PMU (Intel's leaf; vm.c also turns KVM's vPMU off)" },
	{ 0x0000000b, CPUID_TOPO_SUBLEAVES, cpuid_fix_topology, "x2APIC topology: one socket, count cores, one thread each" },
	{ 0x0000000d, 0, NULL, "XSAVE layout: exactly what KVM will save and restore" },
	{ 0x0000001f, CPUID_TOPO_SUBLEAVES, cpuid_fix_topology, "Linux prefers 0x1F over 0xB when present: must say the same" },
	{ KVM_CPUID_SIGNATURE, 0, cpuid_fix_kvm_signature, "lets the guest find KVM's paravirt interface" },
	{ KVM_CPUID_FEATURES, 0, NULL, "kvmclock, PV EOI, ...: what this KVM implements" },
	{ 0x80000001, 1, cpuid_fix_ext_amd_features, "no SVM (nested virtualization), no AMD PMU; a 64-bit kernel needs SYSCALL, NX and long mode" },
	{ 0x80000007, 0, cpuid_fix_power, "only invariant TSC means anything to a guest" },
	{ 0x80000008, 0, cpuid_fix_amd_size, "AMD thread count and APIC ID size of our topology" },
	{ 0x8000000a, 0, cpuid_fix_zero, "SVM revision and features: no SVM, so nothing to describe" },
	{ 0x8000001d, 0, cpuid_fix_cache_sharing, "AMD cache sharing of our topology" },
	{ 0x8000001e, 1, cpuid_fix_amd_topology, "AMD extended APIC ID: Linux reads the APIC ID from it" },
	{ 0x80000022, 0, cpuid_fix_zero, "AMD PerfMonV2: no guest PMU" },
};

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t sub)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == leaf && c->entries[i].index == sub)
			return &c->entries[i];
	return NULL;
}

/* A leaf exists for the guest if it is at most the max leaf of its range
 * (basic, hypervisor, extended), which that range's first leaf reports. */
static bool cpuid_in_range(struct kvm_cpuid2 *c, uint32_t leaf)
{
	struct kvm_cpuid_entry2 *base = cpuid_find(c, leaf & 0xffff0000u, 0);

	return base && leaf <= base->eax;
}

static bool cpuid_is_amd(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 0, 0);
	char vendor[12];

	if (!e)
		return false;
	memcpy(vendor, &e->ebx, 4);
	memcpy(vendor + 4, &e->edx, 4);
	memcpy(vendor + 8, &e->ecx, 4);
	/* Hygon is AMD's design and Linux treats its topology leaves alike. */
	return !memcmp(vendor, "AuthenticAMD", 12) || !memcmp(vendor, "HygonGenuine", 12);
}

/* The caller sized c for every subleaf any rule may add. */
static void cpuid_add_missing(struct kvm_cpuid2 *c, const struct cpuid_rule *r)
{
	if (!cpuid_in_range(c, r->leaf))
		return;
	for (uint32_t sub = 0; sub < r->nsub; sub++) {
		if (cpuid_find(c, r->leaf, sub))
			continue;
		c->entries[c->nent++] = (struct kvm_cpuid_entry2){
			.function = r->leaf,
			.index = sub,
			.flags = r->nsub > 1 ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
		};
	}
}

static void cpuid_apply(struct kvm_cpuid2 *c, const struct cpuid_rule *r,
			const struct cpuid_topo *t)
{
	cpuid_add_missing(c, r);
	if (!r->fix)
		return;
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == r->leaf)
			r->fix(&c->entries[i], t);
}

static size_t cpuid_max_added(void)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cpuid_rules); i++)
		n += cpuid_rules[i].nsub;
	return n;
}

static struct kvm_cpuid2 *cpuid_alloc(size_t nent, struct volt_err *err)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	if (!c) {
		verr_set(err, ENOMEM, "cannot allocate %zu CPUID entries", nent);
		return NULL;
	}
	c->nent = nent;
	return c;
}

static int cpuid_check_args(const struct kvm_cpuid2 *supported, unsigned index,
			    unsigned count, struct volt_err *err)
{
	if (count == 0 || count > CPUID_MAX_VCPUS)
		return verr_set(err, EINVAL, "CPUID topology: %u vCPUs, must be 1..%u",
				count, CPUID_MAX_VCPUS);
	if (index >= count)
		return verr_set(err, EINVAL, "CPUID topology: vCPU index %u of only %u vCPUs",
				index, count);
	if (supported->nent > CPUID_MAX_ENTRIES)
		return verr_set(err, EINVAL, "CPUID list of %u entries: more than %u",
				supported->nent, CPUID_MAX_ENTRIES);
	return 0;
}

struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported, unsigned index,
			       unsigned count, struct volt_err *err)
{
	struct kvm_cpuid2 *c;
	struct cpuid_topo t;

	if (cpuid_check_args(supported, index, count, err) < 0)
		return NULL;
	c = cpuid_alloc(supported->nent + cpuid_max_added(), err);
	if (!c)
		return NULL;
	memcpy(c->entries, supported->entries, supported->nent * sizeof(c->entries[0]));
	c->nent = supported->nent;
	t = (struct cpuid_topo){ .index = index, .count = count, .amd = cpuid_is_amd(c) };
	for (size_t i = 0; i < ARRAY_SIZE(cpuid_rules); i++)
		cpuid_apply(c, &cpuid_rules[i], &t);
	return c;
}

/* KVM emulates the TSC-deadline timer but reports it by capability, not in
 * KVM_GET_SUPPORTED_CPUID. Without the bit Linux calibrates the LAPIC timer
 * against the PIT at boot (about 100 ms of guest time; 300 ms in the rig). */
static void cpuid_add_tsc_deadline(int kvm_fd, struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 1, 0);

	if (e && ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
}

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd, struct volt_err *err)
{
	/* KVM fails with E2BIG rather than saying how many it has: grow and retry. */
	for (size_t n = CPUID_FIRST_GUESS; n <= CPUID_MAX_ENTRIES; n *= 2) {
		struct kvm_cpuid2 *c = cpuid_alloc(n, err);
		int e;

		if (!c)
			return NULL;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			cpuid_add_tsc_deadline(kvm_fd, c);
			return c;
		}
		e = errno;
		free(c);
		if (e != E2BIG) {
			verr_set(err, e, "KVM_GET_SUPPORTED_CPUID: %s", strerror(e));
			return NULL;
		}
	}
	verr_set(err, E2BIG, "KVM_GET_SUPPORTED_CPUID: more than %d entries", CPUID_MAX_ENTRIES);
	return NULL;
}
