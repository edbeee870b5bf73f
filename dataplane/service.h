// The main lcore's service loop: accepts control's attach on the unix socket,
// keeps the data plane's heartbeat, and wakes control (through the eventfd it
// passed) when a ring it sleeps on has something to read. Workers never make
// that syscall themselves.
#pragma once

#include <atomic>
#include <string>

#include "dataplane/api/segment.h"

namespace trunkgw::dataplane {

class Service {
public:
    // Binds the attach socket; throws std::runtime_error with the reason.
    Service(api::Segment& segment, std::string socket_path);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // Runs until *stop is set.
    void run(const std::atomic<bool>& stop);

private:
    void accept_control();
    void detach_control(const char* why);
    void signal_control();

    api::Segment& _segment;
    std::string _path;
    int _listen_fd = -1;
    int _conn_fd = -1;     // the attached control process
    int _wakeup_fd = -1;   // its eventfd
};

}  // namespace trunkgw::dataplane
