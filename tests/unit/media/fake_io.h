// The network as the packet path sees it, without sockets: registrations
// and every send are recorded (unit tests of media/).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <vector>

#include "net/address.h"
#include "net/datagram_io.h"

namespace ngm::media::test {

struct FakeIo : net::DatagramIo {
    using Bytes = std::vector<uint8_t>;
    struct Sent {
        int fd;
        Bytes bytes;
        net::Endpoint to;
    };
    std::map<int, net::DatagramHandler*> registered;
    std::vector<Sent> sent;
    bool addDatagram(int fd, net::DatagramHandler* h) override {
        registered[fd] = h;
        return true;
    }
    void removeDatagram(int fd) override { registered.erase(fd); }
    bool sendTo(int fd, const uint8_t* data, size_t len, const sockaddr* to, socklen_t toLen,
                uint64_t*) override {
        sent.push_back({fd, Bytes(data, data + len), toLen ? net::Endpoint::fromSockaddr(to) : net::Endpoint{}});
        return true;
    }
    bool usesIoUring() const override { return false; }
};

}  // namespace ngm::media::test
