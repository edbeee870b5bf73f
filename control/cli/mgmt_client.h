// trunkctl's side of the management API (control/mgmt_api.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace trunkgw::cli {

// One connection to trunkgw-control; requests go one at a time.
class MgmtConnection {
public:
    // Throws std::runtime_error when the socket cannot be reached.
    explicit MgmtConnection(const std::string& socket_path);
    ~MgmtConnection();
    MgmtConnection(const MgmtConnection&) = delete;
    MgmtConnection& operator=(const MgmtConnection&) = delete;

    // Sends one request object (its "api" is added when missing) and
    // returns the whole reply object, ok or not. Throws on a transport
    // failure or a malformed reply.
    nlohmann::json request(nlohmann::json req);
    // The same for a request given as a line of JSON text; a line that is
    // not JSON is sent as it is (the server answers with the error).
    nlohmann::json request_line(const std::string& line);

private:
    nlohmann::json exchange(const std::string& line);

    std::string _path;
    int _fd = -1;
    std::string _buf;
};

// Runs one command; returns its result or throws std::runtime_error with
// the server's error.
nlohmann::json mgmt_call(const std::string& socket_path, const std::string& command,
                         const nlohmann::json& args = nlohmann::json::object());

}  // namespace trunkgw::cli
