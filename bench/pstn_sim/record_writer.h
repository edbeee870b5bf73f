// pstn-sim's call records leave the lines' thread: each one is finished
// (its audio measured: a tone fit over every 50 ms of up to minutes of
// samples, ~10-20 ms of CPU a call) on a thread of its own, and the JSON
// lines reach the sink in the order the calls ended. Measured on the lines'
// thread, 29 calls ending together stalled the lines for hundreds of ms: the
// gateway's frames arrived faster than the catching-up clock took them
// (frames dropped, then filled), and the D-channel's HDLC frames were cut
// (CRC errors at our receiver, Q.921 rejects and retransmissions; clearing
// outlived the test's wait).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace trunkgw::pstnsim {

class RecordWriter {
public:
    // Makes the record's JSON line (runs on the writer's thread).
    using Job = std::function<std::string()>;
    // Takes each line, in submission order (on the writer's thread).
    using Sink = std::function<void(const std::string& json)>;

    explicit RecordWriter(Sink sink);
    // Writes every record submitted so far, then stops.
    ~RecordWriter();
    RecordWriter(const RecordWriter&) = delete;
    RecordWriter& operator=(const RecordWriter&) = delete;

    void submit(Job job);
    // Returns once every record submitted so far has reached the sink.
    void flush();

private:
    void run();

    Sink _sink;
    std::mutex _mutex;
    std::condition_variable _wake;
    std::condition_variable _done;  // the queue ran dry (flush)
    std::deque<Job> _jobs;
    bool _writing = false;  // a job taken from the queue is being made or written
    bool _stop = false;
    std::thread _thread;  // last: started once the rest exists
};

}  // namespace trunkgw::pstnsim
