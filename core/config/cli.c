/* Volt's command line: getopt_long over argv. --config is read before any
 * other flag wherever it appears, so flags always override the file; every
 * value goes through config_set_from() with the flag as its origin, so a bad
 * one reads "--vcpus: 'abc' is not a number". */
#include "config/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <volt/abi.h>

#include "util/build.h"

#ifndef VOLT_VERSION
#define VOLT_VERSION "unknown"
#endif

enum {
	CLI_CONFIG = 256,
	CLI_LOG_LEVEL,
	CLI_SETTING, /* a flag that sets one INI key, see cli_settings */
	CLI_NO_SECCOMP,
	CLI_NO_LANDLOCK,
	CLI_PRINT_SANDBOX,
	CLI_LIST_PLUGINS,
	CLI_HELP_PLUGIN,
	CLI_EXPORT_SECCOMP, /* hidden: tests compare the filters of two builds */
};

static const struct option cli_options[] = {
	{ "config",        required_argument, NULL, CLI_CONFIG },
	{ "kernel",        required_argument, NULL, CLI_SETTING },
	{ "kernel-pages",  required_argument, NULL, CLI_SETTING },
	{ "huge-pages",    required_argument, NULL, CLI_SETTING },
	{ "initrd",        required_argument, NULL, CLI_SETTING },
	{ "cmdline",       required_argument, NULL, CLI_SETTING },
	{ "memory",        required_argument, NULL, CLI_SETTING },
	{ "vcpus",         required_argument, NULL, CLI_SETTING },
	{ "poll-us",       required_argument, NULL, CLI_SETTING },
	{ "serial-output", required_argument, NULL, CLI_SETTING },
	{ "plugin-dir",    required_argument, NULL, CLI_SETTING },
	{ "api-sock",      required_argument, NULL, CLI_SETTING },
	{ "user",          required_argument, NULL, CLI_SETTING },
	{ "log-level",     required_argument, NULL, CLI_LOG_LEVEL },
	{ "no-seccomp",    no_argument,       NULL, CLI_NO_SECCOMP },
	{ "no-landlock",   no_argument,       NULL, CLI_NO_LANDLOCK },
	{ "print-sandbox-policy", no_argument, NULL, CLI_PRINT_SANDBOX },
	{ "list-plugins",  no_argument,       NULL, CLI_LIST_PLUGINS },
	{ "help-plugin",   required_argument, NULL, CLI_HELP_PLUGIN },
	{ "debug-export-seccomp", required_argument, NULL, CLI_EXPORT_SECCOMP },
	{ "help",          no_argument,       NULL, 'h' },
	{ "version",       no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* '+': stop at the first positional argument instead of reordering argv,
 * ':': report a missing value as ':' rather than printing to stderr. */
#define CLI_SHORT "+:hV"

/* The INI key behind each CLI_SETTING flag. */
struct cli_setting {
	const char *flag;
	const char *section;
	const char *key;
};

static const struct cli_setting cli_settings[] = {
	{ "--kernel",        "vm",      "kernel" },
	{ "--kernel-pages",  "vm",      "kernel_pages" },
	{ "--huge-pages",    "vm",      "huge_pages" },
	{ "--initrd",        "vm",      "initrd" },
	{ "--cmdline",       "vm",      "cmdline" },
	{ "--memory",        "vm",      "memory_mib" },
	{ "--vcpus",         "vm",      "vcpus" },
	{ "--poll-us",       "vm",      "poll_us" },
	{ "--serial-output", "serial",  "output" },
	{ "--plugin-dir",    "plugins", "dir" },
	{ "--api-sock",      "api",     "socket" },
	{ "--user",          "sandbox", "user" },
};

static const char *const cli_log_levels[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	NULL,
};

/* What the first pass over argv found. */
struct cli_scan {
	const char *config;
	bool help;
	bool version;
};

/* getopt keeps its state in globals; optind = 0 makes glibc start afresh,
 * so argv can be walked twice (and config_from_args called again). */
static void cli_rewind(void)
{
	optind = 0;
	opterr = 0;
}

/* A short flag getopt did not know; anything else names itself in argv. */
static bool cli_bad_short(void)
{
	return optopt > 0 && optopt < 256 && optopt != 'h' && optopt != 'V';
}

/* A flag that takes no value was given one ("--no-seccomp=1"): getopt
 * leaves that flag's own val in optopt, which no unknown flag has. */
static bool cli_valued_plain_flag(void)
{
	for (const struct option *o = cli_options; o->name; o++)
		if (o->has_arg == no_argument && o->val == optopt)
			return true;
	return false;
}

/* Long flags that `arg` ("--no", "--no=x") is a prefix of: getopt refuses
 * an ambiguous one the same way as an unknown one. */
static unsigned cli_prefix_matches(const char *arg, char *names, size_t size)
{
	size_t len = strcspn(arg + 2, "=");
	unsigned n = 0;

	names[0] = '\0';
	for (const struct option *o = cli_options; o->name; o++) {
		if (strncmp(o->name, arg + 2, len) || !strncmp(o->name, "debug-", 6))
			continue;
		if (strlen(o->name) == len)
			return 1;   /* the flag itself ("--help=x"): not ambiguous */
		snprintf(names + strlen(names), size - strlen(names), "%s--%s", n ? ", " : "",
			 o->name);
		n++;
	}
	return n;
}

static int cli_unknown(char **argv, struct volt_err *err)
{
	const char *arg = argv[optind - 1];
	char names[256];

	if (!strncmp(arg, "--", 2) && arg[2] && cli_prefix_matches(arg, names, sizeof(names)) > 1)
		return verr_set(err, EINVAL, "%.*s: ambiguous, it could be %s", (int)strcspn(arg, "="),
				arg, names);
	if (cli_bad_short())
		return verr_set(err, EINVAL, "-%c: unknown flag (see volt --help)", optopt);
	if (cli_valued_plain_flag())
		return verr_set(err, EINVAL, "%.*s: takes no value", (int)strcspn(arg, "="), arg);
	return verr_set(err, EINVAL, "%.*s: unknown flag (see volt --help)",
			(int)strcspn(arg, "="), arg);
}

static int cli_missing(char **argv, struct volt_err *err)
{
	return verr_set(err, EINVAL, "%s: needs a value", argv[optind - 1]);
}

/* First pass: find --config, --help and --version, and refuse anything
 * getopt cannot parse before a single value is applied. */
static int cli_scan(int argc, char **argv, struct cli_scan *scan, struct volt_err *err)
{
	int c;

	cli_rewind();
	while ((c = getopt_long(argc, argv, CLI_SHORT, cli_options, NULL)) != -1) {
		if (c == '?')
			return cli_unknown(argv, err);
		if (c == ':')
			return cli_missing(argv, err);
		if (c == 'h')
			scan->help = true;
		if (c == 'V')
			scan->version = true;
		if (c == CLI_CONFIG && scan->config)
			return verr_set(err, EINVAL, "--config: given twice");
		if (c == CLI_CONFIG)
			scan->config = optarg;
	}
	if (optind < argc)
		return verr_set(err, EINVAL, "%s: unexpected argument; volt takes only flags "
				"(see volt --help)", argv[optind]);
	return 0;
}

static int cli_set_log_level(struct volt_config *cfg, const char *value, struct volt_err *err)
{
	int i = config_word_index(cli_log_levels, value);
	char words[64];

	if (i >= 0) {
		cfg->log_level = (enum log_level)i;
		return 0;
	}
	config_word_list(cli_log_levels, words, sizeof(words));
	return verr_set(err, EINVAL, "--log-level: '%.64s' is not one of %s", value, words);
}

static int cli_set(struct volt_config *cfg, const char *flag, const char *value,
		   struct volt_err *err)
{
	for (size_t i = 0; i < sizeof(cli_settings) / sizeof(cli_settings[0]); i++) {
		const struct cli_setting *s = &cli_settings[i];

		if (!strcmp(s->flag + 2, flag))
			return config_set_from(cfg, s->flag, s->section, s->key, value, err);
	}
	return verr_set(err, EINVAL, "--%s: no setting behind this flag", flag);
}

/* The sandbox's flags (docs/sandbox.md). */
static int cli_set_sandbox(struct volt_config *cfg, int c, const char *value,
			   struct volt_err *err)
{
	switch (c) {
	case CLI_NO_SECCOMP:
		cfg->seccomp = false;
		break;
	case CLI_NO_LANDLOCK:
		cfg->landlock = false;
		break;
	case CLI_PRINT_SANDBOX:
		cfg->print_sandbox_policy = true;
		break;
	case CLI_EXPORT_SECCOMP:
		free(cfg->seccomp_export_dir);
		cfg->seccomp_export_dir = strdup(value);
		if (!cfg->seccomp_export_dir)
			return verr_set(err, ENOMEM, "out of memory");
		break;
	}
	return 0;
}

/* The flags that ask about plugins instead of running a VM. */
static int cli_set_plugin_query(struct volt_config *cfg, int c, const char *value,
				struct volt_err *err)
{
	if (c == CLI_LIST_PLUGINS) {
		cfg->list_plugins = true;
		return 0;
	}
	free(cfg->help_plugin);
	cfg->help_plugin = strdup(value);
	return cfg->help_plugin ? 0 : verr_set(err, ENOMEM, "out of memory");
}

/* Second pass: apply every flag but --config, in order. */
static int cli_apply(struct volt_config *cfg, int argc, char **argv, struct volt_err *err)
{
	int c, idx, rc = 0;

	cli_rewind();
	while (!rc && (c = getopt_long(argc, argv, CLI_SHORT, cli_options, &idx)) != -1) {
		if (c == CLI_SETTING)
			rc = cli_set(cfg, cli_options[idx].name, optarg, err);
		else if (c == CLI_LOG_LEVEL)
			rc = cli_set_log_level(cfg, optarg, err);
		else if (c == CLI_LIST_PLUGINS || c == CLI_HELP_PLUGIN)
			rc = cli_set_plugin_query(cfg, c, optarg, err);
		else
			rc = cli_set_sandbox(cfg, c, optarg, err);
	}
	return rc;
}

int config_from_args(struct volt_config *cfg, int argc, char **argv, struct volt_err *err)
{
	struct cli_scan scan = { 0 };
	int rc;

	config_init(cfg);
	rc = cli_scan(argc, argv, &scan, err);
	if (rc < 0)
		return rc;
	if (scan.help) {
		config_print_help(argc > 0 ? argv[0] : "volt");
		return 1;
	}
	if (scan.version) {
		/* The ABI too: what a third party's plugin must be built for. */
		printf("volt %s (plugin ABI %d.%d%s)\n", VOLT_VERSION, VOLT_ABI_MAJOR,
		       VOLT_ABI_MINOR, VOLT_BUILD_VERSION_NOTE);
		return 1;
	}
	if (scan.config && (rc = config_load_file(cfg, scan.config, err)) < 0)
		return rc;
	rc = cli_apply(cfg, argc, argv, err);
	if (rc < 0)
		return rc;
	return config_validate(cfg, err);
}

void config_print_help(const char *argv0)
{
	printf(
"Usage: %s [--config FILE] [FLAG...]\n"
"\n"
"volt runs one Linux kernel in a small KVM virtual machine.\n"
"\n"
"Flags (each overrides the same setting from the --config file):\n"
"  --config FILE          read settings from an INI file first (default: none)\n"
"  --kernel PATH          kernel image to boot; required here or in the file\n"
"  --kernel-pages MODE    how an ELF vmlinux reaches guest RAM: private (copied\n"
"                         into each VM) or shared (its whole pages mapped\n"
"                         copy-on-write from the file: pages the guest never\n"
"                         touches cost nothing, pages it only reads are the\n"
"                         host page cache's, shared by every VM booted from\n"
"                         it; guests can then watch each other through cache\n"
"                         side channels, so only when all VMs on the host are\n"
"                         one tenant's; replace the file by renaming a new\n"
"                         one over it, never rewrite it in place); bzImage\n"
"                         kernels and initrds are always copied\n"
"                         (default: private)\n"
"  --initrd PATH          initial ramdisk (default: none)\n"
"  --cmdline STR          kernel command line\n"
"                         (default: \"console=ttyS0 reboot=k panic=-1\")\n"
"  --memory MIB           guest memory in MiB, %d to %d (default: 128)\n"
"  --huge-pages MODE      which guest memory transparent huge pages may back:\n"
"                         loaded (inside the kernel and initrd volt loads,\n"
"                         which the guest uses whole), auto (all of it, as\n"
"                         the host's THP setting says) or never. A huge page\n"
"                         boots faster (one fault per 2 MiB) but costs all\n"
"                         2 MiB once the guest touches a byte of it: loaded\n"
"                         costs about what never does and boots faster;\n"
"                         auto boots fastest and suits large, long-lived\n"
"                         guests on a THP \"always\" host (default: loaded)\n"
"  --vcpus N              virtual CPUs, 1 to %d (default: 1)\n"
"  --poll-us US           most microseconds a device's I/O thread polls its\n"
"                         queues before it sleeps (adaptive, as QEMU's\n"
"                         IOThreads), 0 to %d, 0 = never (default: %d)\n"
"  --serial-output OUT    where the guest's serial console goes: stdout, none\n"
"                         (discard) or a file path (default: stdout)\n"
"  --plugin-dir DIR       where device plugins are loaded from\n"
"                         (default: the built-in plugin directory)\n"
"  --list-plugins         list the plugins volt can load from there (and any\n"
"                         built in), then exit without running a VM\n"
"  --help-plugin NAME     what plugin NAME is, where it is configured, every\n"
"                         key its section takes and the system calls it may\n"
"                         make under the sandbox, then exit\n"
"  --log-level LEVEL      error, warn, info or debug (default: info)\n"
"  --api-sock PATH        serve the Firecracker-compatible control API on this\n"
"                         Unix socket (created mode 0600, removed at exit) and\n"
"                         boot on its InstanceStart action; the kernel may then\n"
"                         come from PUT /boot-source (docs/api.md)\n"
"  --user USER[:GROUP]    run the guest as this user (a name or a number, not\n"
"                         root): volt starts as root, opens what it needs,\n"
"                         then switches user before its sandbox locks down,\n"
"                         and holds no capability from then on\n"
"                         (default: stay the user volt was started as)\n"
"  --print-sandbox-policy print the seccomp and Landlock policy this\n"
"                         configuration gets, then exit without running it\n"
"  --no-seccomp           debugging only: no seccomp filter (warns)\n"
"  --no-landlock          debugging only: no Landlock restriction (warns)\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the version and plugin ABI, then exit\n"
"\n"
"INI file (--config): one setting per line; a line starting with ';' or '#'\n"
"is a comment, and so is the rest of a line after ' ;' (not after '#').\n"
"  [vm]       memory_mib, vcpus, poll_us, kernel, kernel_pages, huge_pages,\n"
"             initrd, cmdline (as the flags above)\n"
"  [serial]   output = stdout | none | PATH\n"
"  [plugins]  dir = DIR\n"
"  [api]      socket = PATH (as --api-sock)\n"
"  [sandbox]  user = USER[:GROUP] (as --user)\n"
"  [drive \"ID\"], [net \"ID\"], [device \"ID\"]\n"
"             one device each; ID is letters, digits, '_' and '-'; the keys\n"
"             are those of the device's plugin (plugin = NAME chooses it:\n"
"             virtio-blk for a drive, virtio-net for a net, required for a\n"
"             device) and, in [net], of its backend (backend = NAME,\n"
"             default net-tap)\n"
"Relative paths in the file are relative to the file's own directory, not to\n"
"the directory volt is started from. Unknown sections or keys are errors.\n"
"For example, examples/hello.ini:\n"
"\n"
"  [vm]\n"
"  kernel = ../build/tests/guests/hello\n"
"  memory_mib = 128\n"
"  vcpus = 1\n"
"  cmdline = console=ttyS0 reboot=k panic=-1\n"
"\n"
"  [serial]\n"
"  output = stdout\n"
"\n"
"Exit status:\n"
"  0  clean exit: the guest shut down or reset, or a stop signal came\n"
"     (SIGTERM, SIGINT, SIGHUP, SIGQUIT; SIGUSR2 sends Ctrl-Alt-Del)\n"
"  1  the VM failed while running\n"
"  2  configuration error (bad flag, INI file or missing file)\n"
"  3  the sandbox stopped a syscall outside the policy (one line on stderr\n"
"     names it, the thread and the plugin most likely responsible)\n"
"\n"
"Example:\n"
"  volt --config examples/hello.ini\n"
"  volt --config examples/hello.ini --vcpus 2 --serial-output guest.log\n",
	       argv0, CONFIG_MEMORY_MIB_MIN, CONFIG_MEMORY_MIB_MAX, CONFIG_VCPUS_MAX,
	       CONFIG_POLL_US_MAX, CONFIG_POLL_US_DEFAULT);
	if (VOLT_BUILD_STATIC)
		printf("\n"
"This volt is static (built with VOLT_STATIC): one executable with its\n"
"plugins built in (--list-plugins), no plugin files and no control API, so\n"
"--plugin-dir, [plugins] dir, --api-sock and [api] socket are refused.\n");
}
