// CdrWriter (control/calls/cdr_writer.h): records queued from the control
// loop reach the file whole and in order through the writer thread; drain()
// and the destructor leave nothing behind; a disk that refuses is counted.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "control/calls/cdr_writer.h"

using trunkgw::control::CdrWriter;

namespace {

std::vector<std::string> lines_of(const std::string& path)
{
    std::ifstream in(path);
    std::vector<std::string> v;
    for (std::string l; std::getline(in, l);) {
        v.push_back(l);
    }
    return v;
}

std::string temp_path(const char* name)
{
    return "/tmp/trunkgw-cdr-test-" + std::to_string(getpid()) + "-" + name + ".jsonl";
}

}  // namespace

TEST_CASE("records written by the thread arrive whole, in order, synced", "[cdr]")
{
    const std::string path = temp_path("order");
    ::unlink(path.c_str());
    {
        CdrWriter w(path, true);
        for (int i = 0; i < 2000; ++i) {
            w.write("{\"call\":" + std::to_string(i) + "}");
        }
        w.drain();
        CHECK(w.records() == 2000);
        CHECK(w.queued() == 0);
        CHECK(w.errors() == 0);
        const auto lines = lines_of(path);
        REQUIRE(lines.size() == 2000);
        for (int i = 0; i < 2000; ++i) {
            CHECK(lines[static_cast<std::size_t>(i)] == "{\"call\":" + std::to_string(i) + "}");
        }
    }
    ::unlink(path.c_str());
}

TEST_CASE("the destructor writes what still waits", "[cdr]")
{
    const std::string path = temp_path("shutdown");
    ::unlink(path.c_str());
    {
        CdrWriter w(path, false);
        for (int i = 0; i < 500; ++i) {
            w.write("{}");
        }
    }
    CHECK(lines_of(path).size() == 500);
    ::unlink(path.c_str());
}

TEST_CASE("a file that refuses writes counts every record lost", "[cdr]")
{
    CdrWriter w("/dev/full", true);  // write(2) fails with ENOSPC
    w.write("{\"a\":1}");
    w.write("{\"a\":2}");
    w.drain();
    CHECK(w.errors() == 2);
    CHECK(w.records() == 0);
    CHECK(w.queued() == 0);
}

TEST_CASE("an unopenable file is refused with its path", "[cdr]")
{
    CHECK_THROWS_WITH(CdrWriter("/proc/no/such/dir/cdr.jsonl", true),
                      Catch::Contains("/proc/no/such/dir/cdr.jsonl") && Catch::Contains("cdr.path"));
}
