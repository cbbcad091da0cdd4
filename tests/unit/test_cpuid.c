/* cpuid_build: every rule of the table, on a hand-made Intel-like and
 * AMD-like KVM_GET_SUPPORTED_CPUID answer; then on the real one if /dev/kvm
 * can be opened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm/cpuid.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SIG (KVM_CPUID_FLAG_SIGNIFCANT_INDEX)

/* Vendor strings as CPUID.0 returns them: EBX, EDX, ECX. */
#define INTEL_EBX 0x756e6547u	/* "Genu" */
#define INTEL_EDX 0x49656e69u	/* "ineI" */
#define INTEL_ECX 0x6c65746eu	/* "ntel" */
#define AMD_EBX   0x68747541u	/* "Auth" */
#define AMD_EDX   0x69746e65u	/* "enti" */
#define AMD_ECX   0x444d4163u	/* "cAMD" */

/* Bits the rules touch, spelled out independently of cpuid.c. */
#define L1_ECX_STRIPPED ((1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 15))
#define L1_ECX_HYPERVISOR (1u << 31)
#define L1_EDX_HTT (1u << 28)
#define L7_EBX_STRIPPED ((1u << 4) | (1u << 11) | (1u << 12) | (1u << 14) | (1u << 15))
#define EXT1_EDX_NEEDED ((1u << 11) | (1u << 20) | (1u << 29))

/* A deterministic-cache EAX: type, level, sharing - 1, cores - 1. */
#define CACHE_EAX(type, level, share, cores) \
	((type) | (level) << 5 | (share) << 14 | (uint32_t)(cores) << 26)

#define E(fn, idx, fl, a, b, c, d) \
	{ .function = (fn), .index = (idx), .flags = (fl), .eax = (a), .ebx = (b), .ecx = (c), .edx = (d) }

static const struct kvm_cpuid_entry2 intel_like[] = {
	E(0x0, 0, 0, 0x1f, INTEL_EBX, INTEL_ECX, INTEL_EDX),
	/* APIC ID 5 and count 16 from the host, everything in ECX, HTT set. */
	E(0x1, 0, 0, 0x000906ea, 0x05100800, 0xfffaffff, 0xbfebfbff),
	E(0x2, 0, 0, 0x00feff01, 0x000000f0, 0, 0),
	E(0x4, 0, SIG, CACHE_EAX(1, 1, 1, 7) | 0x100, 0x01c0003f, 0x3f, 0),
	E(0x4, 1, SIG, CACHE_EAX(2, 1, 1, 7) | 0x100, 0x01c0003f, 0x3f, 0),
	E(0x4, 2, SIG, CACHE_EAX(3, 2, 1, 7) | 0x100, 0x03c0003f, 0x3ff, 0),
	E(0x4, 3, SIG, CACHE_EAX(3, 3, 15, 7) | 0x100, 0x03c0003f, 0x2fff, 6),
	E(0x4, 4, SIG, 0, 0, 0, 0),
	E(0x6, 0, 0, 0x77, 0x2, 0x9, 0x1),
	E(0x7, 0, SIG, 0x1, 0xffffffff, 0x12345678, 0x9abcdef0),
	E(0x7, 1, SIG, 0x10, 0xffffffff, 0, 0),
	E(0xa, 0, 0, 0x07300404, 0, 0, 0x603),
	E(0xb, 0, SIG, 1, 2, 0x100, 7),
	E(0xd, 0, SIG, 0x2e7, 0xa88, 0xa88, 0),
	E(0xd, 1, SIG, 0xf, 0x990, 0, 0),
	E(0x14, 0, SIG, 1, 0x5f, 7, 0),
	E(0x1f, 0, SIG, 1, 2, 0x100, 7),
	E(0x40000000, 0, 0, 0, 0, 0, 0),
	E(0x40000001, 0, 0, 0x01007efb, 0, 0, 0),
	E(0x80000000, 0, 0, 0x80000008, 0, 0, 0),
	E(0x80000001, 0, 0, 0, 0, 0x121, 0),	/* SYSCALL, NX, LM missing */
	E(0x80000007, 0, 0, 0x11, 0x22, 0x33, 0x1ff),
	E(0x80000008, 0, 0, 0x3027, 0, 0, 0),
};

/* Shaped after this AMD EPYC host's answer: 0xB with zeros, no 0x80000001
 * (to see it added), 0x8000001E missing (to see it added). */
static const struct kvm_cpuid_entry2 amd_like[] = {
	E(0x0, 0, 0, 0x10, AMD_EBX, AMD_ECX, AMD_EDX),
	E(0x1, 0, 0, 0x00a10f11, 0x00020800, 0xfffaffff, 0x178bfbff),
	E(0x4, 0, SIG, 0, 0, 0, 0),
	E(0x6, 0, 0, 0x4, 0, 0, 0),
	E(0x7, 0, SIG, 0x1, 0xffffffff, 0x104, 0x20000000),
	E(0xa, 0, 0, 0, 0, 0, 0),
	E(0xb, 0, SIG, 0, 0, 0, 0),
	E(0xd, 0, SIG, 0xe7, 0x980, 0x980, 0),
	E(0xd, 2, SIG, 0x100, 0x240, 0, 0),
	E(0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),
	E(0x40000001, 0, 0, 0x01007efb, 0, 0, 0),
	E(0x80000000, 0, 0, 0x80000021, AMD_EBX, AMD_ECX, AMD_EDX),
	E(0x80000007, 0, 0, 0, 0, 0, 0x100),
	E(0x80000008, 0, 0, 0x3030, 0x50020005, 0x10007001, 0),
	E(0x8000001d, 0, SIG, CACHE_EAX(1, 1, 0, 0) | 0x100, 0x01c0003f, 0x3f, 0),
	E(0x8000001d, 1, SIG, CACHE_EAX(2, 1, 0, 0) | 0x100, 0x01c0003f, 0x3f, 0),
	E(0x8000001d, 2, SIG, CACHE_EAX(3, 2, 0, 0) | 0x100, 0x01c0003f, 0x7ff, 2),
	E(0x8000001d, 3, SIG, CACHE_EAX(3, 3, 1, 0) | 0x100, 0x03c0003f, 0x7fff, 1),
	E(0x8000001d, 4, SIG, 0, 0, 0, 0),
	E(0x80000021, 0, 0, 0x204, 0, 6, 0),
};

static struct kvm_cpuid2 *supported_from(const struct kvm_cpuid_entry2 *e, size_t n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(*e));

	assert_non_null(c);
	c->nent = n;
	memcpy(c->entries, e, n * sizeof(*e));
	return c;
}

#define SUPPORTED(table) supported_from(table, ARRAY_SIZE(table))

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static const struct kvm_cpuid_entry2 *must_find(const struct kvm_cpuid2 *c, uint32_t fn,
						uint32_t idx)
{
	const struct kvm_cpuid_entry2 *e = find(c, fn, idx);

	if (!e)
		fail_msg("leaf 0x%x.%u missing", fn, idx);
	return e;
}

static struct kvm_cpuid2 *build(const struct kvm_cpuid2 *s, unsigned index, unsigned count)
{
	struct volt_err err = { 0 };
	struct kvm_cpuid2 *c = cpuid_build(s, index, count, &err);

	if (!c)
		fail_msg("cpuid_build(%u of %u): %s", index, count, err.msg);
	assert_int_equal(err.code, 0);
	return c;
}

static void assert_regs_equal(const struct kvm_cpuid_entry2 *a, const struct kvm_cpuid_entry2 *b)
{
	assert_int_equal(a->eax, b->eax);
	assert_int_equal(a->ebx, b->ebx);
	assert_int_equal(a->ecx, b->ecx);
	assert_int_equal(a->edx, b->edx);
}

static void assert_zero(const struct kvm_cpuid_entry2 *e)
{
	assert_int_equal(e->eax | e->ebx | e->ecx | e->edx, 0);
}

static void test_vendor_kept(void **state)
{
	struct kvm_cpuid2 *in[] = { SUPPORTED(intel_like), SUPPORTED(amd_like) };

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct kvm_cpuid2 *c = build(in[i], 0, 2);

		assert_regs_equal(must_find(c, 0, 0), must_find(in[i], 0, 0));
		free(c);
		free(in[i]);
	}
}

static void check_leaf1(const struct kvm_cpuid2 *in, unsigned count, unsigned pow2)
{
	const struct kvm_cpuid_entry2 *src = must_find(in, 1, 0);

	for (unsigned idx = 0; idx < count; idx++) {
		struct kvm_cpuid2 *c = build(in, idx, count);
		const struct kvm_cpuid_entry2 *e = must_find(c, 1, 0);

		assert_int_equal(e->ebx >> 24, idx);
		assert_int_equal((e->ebx >> 16) & 0xff, pow2);
		assert_int_equal(e->ebx & 0xffff, src->ebx & 0xffff);
		assert_int_equal(e->ecx & L1_ECX_STRIPPED, 0);
		assert_true(e->ecx & L1_ECX_HYPERVISOR);
		assert_int_equal(e->ecx & ~(L1_ECX_STRIPPED | L1_ECX_HYPERVISOR),
				 src->ecx & ~(L1_ECX_STRIPPED | L1_ECX_HYPERVISOR));
		assert_int_equal(!!(e->edx & L1_EDX_HTT), count > 1);
		assert_int_equal(e->edx & ~L1_EDX_HTT, src->edx & ~L1_EDX_HTT);
		assert_int_equal(e->eax, src->eax);
		free(c);
	}
}

static void test_leaf1(void **state)
{
	struct kvm_cpuid2 *in[] = { SUPPORTED(intel_like), SUPPORTED(amd_like) };

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		check_leaf1(in[i], 1, 1);
		check_leaf1(in[i], 4, 4);
		check_leaf1(in[i], 3, 4);	/* addressable IDs round up to a power of two */
		check_leaf1(in[i], 2, 2);	/* the smallest count with HTT */
		/* A host whose KVM does not say "hypervisor" itself. */
		for (uint32_t k = 0; k < in[i]->nent; k++)
			if (in[i]->entries[k].function == 1)
				in[i]->entries[k].ecx &= ~L1_ECX_HYPERVISOR;
		check_leaf1(in[i], 1, 1);
		free(in[i]);
	}
}

static void check_topology(const struct kvm_cpuid2 *c, uint32_t leaf, unsigned idx,
			   unsigned count, unsigned shift)
{
	const struct kvm_cpuid_entry2 *smt = must_find(c, leaf, 0);
	const struct kvm_cpuid_entry2 *core = must_find(c, leaf, 1);
	const struct kvm_cpuid_entry2 *end = must_find(c, leaf, 2);

	assert_int_equal(smt->eax, 0);
	assert_int_equal(smt->ebx, 1);
	assert_int_equal(smt->ecx, 0x100);
	assert_int_equal(core->eax, shift);
	assert_int_equal(core->ebx, count);
	assert_int_equal(core->ecx, 0x201);
	assert_int_equal(end->eax, 0);
	assert_int_equal(end->ebx, 0);
	assert_int_equal(end->ecx, 2);
	for (uint32_t sub = 0; sub < 3; sub++) {
		const struct kvm_cpuid_entry2 *e = must_find(c, leaf, sub);

		assert_int_equal(e->edx, idx);		/* x2APIC ID in every subleaf */
		assert_true(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	}
}

static void check_topology_counts(const struct kvm_cpuid2 *in, uint32_t leaf)
{
	static const unsigned counts[] = { 1, 4, 32 }, shifts[] = { 0, 2, 5 };

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		for (unsigned idx = 0; idx < counts[i]; idx++) {
			struct kvm_cpuid2 *c = build(in, idx, counts[i]);

			check_topology(c, leaf, idx, counts[i], shifts[i]);
			free(c);
		}
	}
}

static void test_leaf_b(void **state)
{
	struct kvm_cpuid2 *intel = SUPPORTED(intel_like), *amd = SUPPORTED(amd_like);

	check_topology_counts(intel, 0xb);
	check_topology_counts(intel, 0x1f);
	check_topology_counts(amd, 0xb);
	free(intel);
	free(amd);
}

static void test_leaf_1f_not_invented(void **state)
{
	struct kvm_cpuid2 *amd = SUPPORTED(amd_like);
	struct kvm_cpuid2 *c = build(amd, 0, 4);

	/* Max basic leaf 0x10: 0x1F does not exist for this guest. */
	assert_null(find(c, 0x1f, 0));
	free(c);
	free(amd);
}

static void test_leaf4_intel(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(intel_like);
	struct kvm_cpuid2 *c = build(in, 2, 4);

	for (uint32_t sub = 0; sub < 4; sub++) {
		const struct kvm_cpuid_entry2 *e = must_find(c, 4, sub);
		const struct kvm_cpuid_entry2 *src = must_find(in, 4, sub);
		uint32_t level = (e->eax >> 5) & 7;

		assert_int_equal(e->eax >> 26, 3);
		assert_int_equal((e->eax >> 14) & 0xfff, level == 3 ? 3 : 0);
		assert_int_equal(e->eax & 0x3fff, src->eax & 0x3fff);
		assert_int_equal(e->ebx, src->ebx);
		assert_int_equal(e->ecx, src->ecx);
		assert_int_equal(e->edx, src->edx);
	}
	assert_zero(must_find(c, 4, 4));
	free(c);
	free(in);
}

static void test_leaf4_amd_untouched(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(amd_like);
	struct kvm_cpuid2 *c = build(in, 1, 4);

	assert_zero(must_find(c, 4, 0));
	assert_null(find(c, 4, 1));
	free(c);
	free(in);
}

/* Leaf 6 keeps only ARAT (KVM sets it: its LAPIC timer never stops);
 * the PMU's leaf is gone. */
static void test_leaf6_arat_leaf_a_zero(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(intel_like);
	struct kvm_cpuid2 *c = build(in, 0, 1);
	const struct kvm_cpuid_entry2 *e = must_find(c, 0x6, 0);

	assert_int_equal(e->eax, 1u << 2);
	assert_int_equal(e->ebx | e->ecx | e->edx, 0);
	assert_zero(must_find(c, 0xa, 0));
	free(c);
	free(in);
}

static void test_leaf7(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(intel_like);
	struct kvm_cpuid2 *c = build(in, 0, 1);
	const struct kvm_cpuid_entry2 *e = must_find(c, 7, 0), *src = must_find(in, 7, 0);

	assert_int_equal(e->ebx, 0xffffffffu & ~L7_EBX_STRIPPED);
	assert_int_equal(e->eax, src->eax);
	assert_int_equal(e->ecx, src->ecx);
	assert_int_equal(e->edx, src->edx);
	assert_regs_equal(must_find(c, 7, 1), must_find(in, 7, 1));
	free(c);
	free(in);
}

static void test_leaf_d_unchanged(void **state)
{
	struct kvm_cpuid2 *in[] = { SUPPORTED(intel_like), SUPPORTED(amd_like) };

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct kvm_cpuid2 *c = build(in[i], 0, 4);

		for (uint32_t j = 0; j < in[i]->nent; j++) {
			const struct kvm_cpuid_entry2 *src = &in[i]->entries[j];

			if (src->function == 0xd)
				assert_regs_equal(must_find(c, 0xd, src->index), src);
		}
		free(c);
		free(in[i]);
	}
}

static void test_kvm_signature(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(intel_like);
	struct kvm_cpuid2 *c = build(in, 0, 1);
	const struct kvm_cpuid_entry2 *e = must_find(c, 0x40000000, 0);
	char sig[12];

	assert_int_equal(e->eax, 0x40000001);
	memcpy(sig, &e->ebx, 4);
	memcpy(sig + 4, &e->ecx, 4);
	memcpy(sig + 8, &e->edx, 4);
	assert_memory_equal(sig, "KVMKVMKVM\0\0\0", 12);
	assert_regs_equal(must_find(c, 0x40000001, 0), must_find(in, 0x40000001, 0));
	free(c);
	free(in);
}

static void test_ext_features(void **state)
{
	struct kvm_cpuid2 *intel = SUPPORTED(intel_like), *amd = SUPPORTED(amd_like);
	struct kvm_cpuid2 *c = build(intel, 0, 1);
	const struct kvm_cpuid_entry2 *e = must_find(c, 0x80000001, 0);

	/* Bits missing from KVM's entry are set; the rest is kept. */
	assert_int_equal(e->edx, EXT1_EDX_NEEDED);
	assert_int_equal(e->ecx, 0x121);
	free(c);

	/* The entry itself missing: added, since 0x80000001 is in range. */
	c = build(amd, 0, 1);
	e = must_find(c, 0x80000001, 0);
	assert_int_equal(e->edx & EXT1_EDX_NEEDED, EXT1_EDX_NEEDED);
	free(c);
	free(intel);
	free(amd);
}

/* kvm_amd with nested = 1 (its default, and the rig's L1) offers SVM and
 * its leaf: the guest saw "svm" in /proc/cpuinfo. Hidden, as VMX is. AMD
 * also describes its performance counters in 0x80000001:ECX (core,
 * northbridge, L3) and 0x80000022: no guest PMU there either. The other
 * bits are kept. */
static void test_no_svm_no_amd_pmu(void **state)
{
	static const struct kvm_cpuid_entry2 amd[] = {
		E(0x0, 0, 0, 0x10, AMD_EBX, AMD_ECX, AMD_EDX),
		E(0x80000000, 0, 0, 0x80000022, AMD_EBX, AMD_ECX, AMD_EDX),
		/* SVM (bit 2), TOPOEXT (22), PERFCTR_CORE/NB (23, 24), PERFCTR_LLC (28) */
		E(0x80000001, 0, 0, 0x00a10f11, 0, 0x11c00395, 0x23d3fbff),
		E(0x8000000a, 0, 0, 0x1, 0x8000, 0, 0x1a1bfdff),
		E(0x80000022, 0, 0, 0x3, 0x106, 0, 0),
	};
	struct kvm_cpuid2 *in = SUPPORTED(amd);
	struct kvm_cpuid2 *c = build(in, 0, 1);

	assert_int_equal(must_find(c, 0x80000001, 0)->ecx, 0x00400391);
	assert_zero(must_find(c, 0x8000000a, 0));
	assert_zero(must_find(c, 0x80000022, 0));
	free(c);
	free(in);
}

static void test_power_only_invariant_tsc(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(intel_like);
	struct kvm_cpuid2 *c = build(in, 0, 1);
	const struct kvm_cpuid_entry2 *e = must_find(c, 0x80000007, 0);

	assert_int_equal(e->eax | e->ebx | e->ecx, 0);
	assert_int_equal(e->edx, 1u << 8);
	free(c);
	free(in);
}

static void test_amd_topology(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(amd_like);

	for (unsigned idx = 0; idx < 4; idx++) {
		struct kvm_cpuid2 *c = build(in, idx, 4);
		const struct kvm_cpuid_entry2 *sz = must_find(c, 0x80000008, 0);
		const struct kvm_cpuid_entry2 *ext = must_find(c, 0x8000001e, 0);

		assert_int_equal(sz->ecx & 0xff, 3);			/* NC = count - 1 */
		assert_int_equal((sz->ecx >> 12) & 0xf, 2);		/* APIC ID bits for 4 */
		assert_int_equal(sz->ecx & ~0xf0ffu, 0x10000000);	/* others kept */
		assert_int_equal(sz->eax, 0x3030);
		assert_int_equal(ext->eax, idx);			/* extended APIC ID */
		assert_int_equal(ext->ebx, idx);			/* core idx, 1 thread */
		assert_int_equal(ext->ecx, 0);				/* node 0 of 1 */
		for (uint32_t sub = 0; sub < 4; sub++) {
			uint32_t eax = must_find(c, 0x8000001d, sub)->eax;

			assert_int_equal((eax >> 14) & 0xfff, ((eax >> 5) & 7) == 3 ? 3 : 0);
		}
		free(c);
	}
	free(in);
	/* Hygon is AMD's design: the same topology leaves. */
	in = SUPPORTED(amd_like);
	in->entries[0].ebx = 0x6f677948u;	/* "Hygo" */
	in->entries[0].edx = 0x6e65476eu;	/* "nGen" */
	in->entries[0].ecx = 0x656e6975u;	/* "uine" */
	{
		struct kvm_cpuid2 *c = build(in, 1, 4);

		assert_int_equal(must_find(c, 0x80000008, 0)->ecx & 0xff, 3);
		free(c);
	}
	free(in);
}

static void test_amd_single_vcpu(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(amd_like);
	struct kvm_cpuid2 *c = build(in, 0, 1);

	assert_int_equal(must_find(c, 0x80000008, 0)->ecx & 0xf0ff, 0);
	free(c);
	free(in);
}

static void test_intel_ext_size_untouched(void **state)
{
	struct kvm_cpuid2 *in = SUPPORTED(intel_like);
	struct kvm_cpuid2 *c = build(in, 3, 4);

	assert_regs_equal(must_find(c, 0x80000008, 0), must_find(in, 0x80000008, 0));
	assert_null(find(c, 0x8000001e, 0));	/* beyond Intel's max extended leaf */
	free(c);
	free(in);
}

static void test_unknown_leaves_pass(void **state)
{
	struct kvm_cpuid2 *in[] = { SUPPORTED(intel_like), SUPPORTED(amd_like) };

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct kvm_cpuid2 *c = build(in[i], 1, 2);

		/* Nothing KVM listed is dropped. */
		for (uint32_t j = 0; j < in[i]->nent; j++)
			must_find(c, in[i]->entries[j].function, in[i]->entries[j].index);
		free(c);
	}
	{
		struct kvm_cpuid2 *c = build(in[0], 1, 2);

		assert_regs_equal(must_find(c, 0x2, 0), must_find(in[0], 0x2, 0));
		assert_regs_equal(must_find(c, 0x14, 0), must_find(in[0], 0x14, 0));
		free(c);
		c = build(in[1], 1, 2);
		assert_regs_equal(must_find(c, 0x80000021, 0), must_find(in[1], 0x80000021, 0));
		free(c);
	}
	free(in[0]);
	free(in[1]);
}

static void test_bad_topology(void **state)
{
	static const unsigned cases[][2] = { { 0, 0 }, { 4, 4 }, { 0, 65 } };
	struct kvm_cpuid2 *in = SUPPORTED(intel_like);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct volt_err err = { 0 };

		assert_null(cpuid_build(in, cases[i][0], cases[i][1], &err));
		assert_int_equal(err.code, EINVAL);
		assert_true(strlen(err.msg) > 0);
	}
	free(in);
}

/* The real list, and KVM accepting what we made of it. */
static void test_real_kvm(void **state)
{
	struct volt_err err = { 0 };
	struct kvm_cpuid2 *in, *c;
	int kvm, vm, vcpu;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		skip();
	in = cpuid_get_supported(kvm, &err);
	if (!in)
		fail_msg("%s", err.msg);
	c = cpuid_build(in, 1, 2, &err);
	if (!c)
		fail_msg("%s", err.msg);
	assert_true(must_find(c, 1, 0)->ecx & L1_ECX_HYPERVISOR);
	assert_int_equal(must_find(c, 1, 0)->ebx >> 24, 1);

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	assert_true(vm >= 0);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 1);
	assert_true(vcpu >= 0);
	if (ioctl(vcpu, KVM_SET_CPUID2, c) < 0)
		fail_msg("KVM_SET_CPUID2: %s", strerror(errno));
	close(vcpu);
	close(vm);
	close(kvm);
	free(c);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vendor_kept),
		cmocka_unit_test(test_leaf1),
		cmocka_unit_test(test_leaf_b),
		cmocka_unit_test(test_leaf_1f_not_invented),
		cmocka_unit_test(test_leaf4_intel),
		cmocka_unit_test(test_leaf4_amd_untouched),
		cmocka_unit_test(test_leaf6_arat_leaf_a_zero),
		cmocka_unit_test(test_leaf7),
		cmocka_unit_test(test_leaf_d_unchanged),
		cmocka_unit_test(test_kvm_signature),
		cmocka_unit_test(test_ext_features),
		cmocka_unit_test(test_no_svm_no_amd_pmu),
		cmocka_unit_test(test_power_only_invariant_tsc),
		cmocka_unit_test(test_amd_topology),
		cmocka_unit_test(test_amd_single_vcpu),
		cmocka_unit_test(test_intel_ext_size_untouched),
		cmocka_unit_test(test_unknown_leaves_pass),
		cmocka_unit_test(test_bad_topology),
		cmocka_unit_test(test_real_kvm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
