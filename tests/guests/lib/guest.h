/* The test guests' runtime: entry (start.c), the exit through an i8042
 * reset, and the few memory and string helpers a freestanding build needs
 * (gcc may emit calls to memcpy/memset itself). */
#ifndef VOLT_GUEST_GUEST_H
#define VOLT_GUEST_GUEST_H

#include <stddef.h>
#include <stdint.h>

/* Registers as volt left them at the ELF entry point, saved by _start
 * before it switches to the guest's own stack. */
struct guest_entry_state {
	uint64_t rsi;
	uint64_t rsp;
	uint64_t rflags;
	uint16_t cs;
	uint16_t ds;
	uint16_t ss;
};

extern struct guest_entry_state guest_entry;

/* The image's first and one-past-last byte (from guest.ld). */
extern char __image_start[], __image_end[];

/* Each guest defines this; _start calls it, then guest_exit(). */
void guest_main(void);

/* Reset the machine through the i8042 (volt exits with status 0). */
_Noreturn void guest_exit(void);

/* Write the boot-timer port (volt logs the time since it started). */
void guest_boot_timer(uint8_t val);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Return the value text after "key=" in a space-separated command line
 * (NULL if absent); parse a decimal number up to the next space. */
const char *cmdline_find(const char *cmdline, const char *key);
int parse_u64(const char *s, uint64_t *out);

#endif
