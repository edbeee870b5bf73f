// The unix socket that serves the management API inside the event loop.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "control/event_loop.h"
#include "control/mgmt_api.h"
#include "control/status.h"

namespace trunkgw::control {

class MgmtServer {
public:
    // Binds `path`; refuses (throws) when another control process answers on it.
    MgmtServer(EventLoop& loop, std::string path, const MgmtCommands& commands, MgmtCounters& counters);
    ~MgmtServer();
    MgmtServer(const MgmtServer&) = delete;
    MgmtServer& operator=(const MgmtServer&) = delete;

private:
    struct Conn {
        int fd;
        int watch;
        std::string buf;   // request bytes not yet a whole line
        std::string out;   // reply bytes the client has not taken yet
        bool writing = false;  // watching POLLOUT (requests wait meanwhile)
    };
    void on_accept();
    void on_readable(int fd);
    void on_writable(int fd);
    // Answers the whole lines in buf while nothing waits to be sent.
    void serve_lines(Conn& c);
    // Sends what it can of c.out; false when the connection was closed.
    bool flush(Conn& c);
    void watch(Conn& c, bool for_writing);
    void close_conn(int fd);

    EventLoop& _loop;
    std::string _path;
    const MgmtCommands& _commands;
    MgmtCounters& _counters;
    int _listen_fd = -1;
    int _listen_watch = 0;
    std::map<int, Conn> _conns;
};

}  // namespace trunkgw::control
