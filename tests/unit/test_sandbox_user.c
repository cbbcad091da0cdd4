/* [sandbox] user: what sandbox_user_parse accepts (a name, a number, either
 * with a group), what it refuses (root, unknown names, numbers that are not
 * ids) and the group it picks when none is given. The switch itself needs
 * root and is checked in tests/integration/sandbox_user.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pwd.h>
#include <string.h>

#include "sandbox/user.h"

static int parse(const char *spec, struct sandbox_user *u, char *why)
{
	memset(u, 0xee, sizeof(*u));
	why[0] = '\0';
	return sandbox_user_parse(spec, u, why, 160);
}

static void test_numbers(void **state)
{
	struct sandbox_user u;
	char why[160];

	assert_int_equal(parse("1234:5678", &u, why), 0);
	assert_int_equal(u.uid, 1234);
	assert_int_equal(u.gid, 5678);
	/* A number no passwd entry has: its own number as the group. */
	if (!getpwuid(3999999)) {
		assert_int_equal(parse("3999999", &u, why), 0);
		assert_int_equal(u.uid, 3999999);
		assert_int_equal(u.gid, 3999999);
	}
	/* (uid_t)-1 means "leave it" to setresuid: never an id. */
	assert_int_equal(parse("4294967295", &u, why), -EINVAL);
	assert_int_equal(parse("99999999999", &u, why), -EINVAL);
}

static void test_names(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct sandbox_user u;
	char why[160];

	if (!pw) {
		print_message("SKIP: no user 'nobody' in this host's passwd\n");
		skip();
	}
	assert_int_equal(parse("nobody", &u, why), 0);
	assert_int_equal(u.uid, pw->pw_uid);
	assert_int_equal(u.gid, pw->pw_gid); /* its primary group */
	assert_int_equal(parse("nobody:4321", &u, why), 0);
	assert_int_equal(u.gid, 4321);
	/* A known uid alone takes that user's group too. */
	assert_int_equal(parse("65534", &u, why), 0);
	if (pw->pw_uid == 65534)
		assert_int_equal(u.gid, pw->pw_gid);
}

static void test_refusals(void **state)
{
	struct sandbox_user u;
	char why[160];

	assert_int_equal(parse("root", &u, why), -EINVAL);
	assert_non_null(strstr(why, "root (uid or gid 0) is what volt leaves"));
	assert_int_equal(parse("0:100", &u, why), -EINVAL);
	assert_int_equal(parse("100:0", &u, why), -EINVAL);
	assert_int_equal(parse("no-such-user-here", &u, why), -EINVAL);
	assert_string_equal(why, "no user 'no-such-user-here' on this host");
	assert_int_equal(parse("1234:no-such-group-here", &u, why), -EINVAL);
	assert_string_equal(why, "no group 'no-such-group-here' on this host");
	assert_int_equal(parse("", &u, why), -EINVAL);
	assert_int_equal(parse(":1234", &u, why), -EINVAL);
	assert_int_equal(parse("1234:", &u, why), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
