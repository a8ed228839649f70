/* SPDX-License-Identifier: GPL-2.0 */
/*
 * listener.h: a stream listener of each socket family the accept()
 * tests and benchmarks cover, bound where a client on this machine can
 * reach it.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/tipc.h>
#include <linux/vm_sockets.h>

struct endpoint {
	int fd;				/* the listener */
	struct sockaddr_storage addr;	/* where clients connect */
	socklen_t len;
};

static inline int bind_inet(struct endpoint *ep)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ep->addr;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = 0;
	ep->len = sizeof(*sin);
	if (bind(ep->fd, (struct sockaddr *)sin, ep->len))
		return -1;
	return getsockname(ep->fd, (struct sockaddr *)&ep->addr, &ep->len);
}

static inline int bind_unix(struct endpoint *ep)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&ep->addr;
	static unsigned int instance;
	int n;

	/* An abstract name: nothing to clean up in the file system. */
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
		     "lsp-listener.%d.%u", getpid(), instance++);
	ep->len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	return bind(ep->fd, (struct sockaddr *)sun, ep->len);
}

static inline int bind_vsock(struct endpoint *ep)
{
	struct sockaddr_vm *svm = (struct sockaddr_vm *)&ep->addr;

	svm->svm_family = AF_VSOCK;
	svm->svm_cid = VMADDR_CID_ANY;
	svm->svm_port = VMADDR_PORT_ANY;
	ep->len = sizeof(*svm);
	if (bind(ep->fd, (struct sockaddr *)svm, ep->len))
		return -1;
	if (getsockname(ep->fd, (struct sockaddr *)&ep->addr, &ep->len))
		return -1;
	/* Clients connect through the loopback transport. */
	svm->svm_cid = VMADDR_CID_LOCAL;
	return 0;
}

static inline int bind_tipc(struct endpoint *ep)
{
	struct sockaddr_tipc *st = (struct sockaddr_tipc *)&ep->addr;
	static unsigned int instance;

	/* A service address of this node, unique to this process. */
	st->family = AF_TIPC;
	st->addrtype = TIPC_SERVICE_ADDR;
	st->scope = TIPC_NODE_SCOPE;
	st->addr.name.name.type = 18888;
	st->addr.name.name.instance = (getpid() << 8) + instance++;
	st->addr.name.domain = 0;
	ep->len = sizeof(*st);
	return bind(ep->fd, (struct sockaddr *)st, ep->len);
}

#endif /* LISTENER_H */
