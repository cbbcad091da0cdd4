/* Everything a Volt plugin needs: #include <volt/volt.h>. */
#ifndef VOLT_VOLT_H
#define VOLT_VOLT_H

#include <volt/abi.h>
#include <volt/device.h>
#include <volt/host.h>
#include <volt/iov.h>
#include <volt/net.h>
#include <volt/plugin.h>
#include <volt/virtqueue.h>

#endif
