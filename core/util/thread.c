#include "util/thread.h"

int thread_create(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int r = pthread_attr_init(&attr);

	if (r)
		return r;
	r = pthread_attr_setstacksize(&attr, stack);
	if (!r)
		r = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return r;
}
