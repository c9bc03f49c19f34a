// Creating and binding a socket, shared by the UDP and TCP sockets.
#pragma once

#include "net/address.h"

namespace ngm::net::detail {

// A non-blocking, close-on-exec socket of `type` bound to `local` (v6 only
// for an IPv6 address; SO_REUSEADDR when asked), listening with `backlog`
// when it is not negative. Its descriptor, with the bound endpoint in
// `bound` (the kernel's port when `local` had 0); -1 with errno set.
int openBound(int type, const Endpoint& local, bool reuseAddr, int backlog, Endpoint& bound);

}  // namespace ngm::net::detail
