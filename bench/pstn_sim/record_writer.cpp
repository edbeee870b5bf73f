// pstn-sim's call record writer; see record_writer.h.
#include "bench/pstn_sim/record_writer.h"

#include <utility>

namespace trunkgw::pstnsim {

RecordWriter::RecordWriter(Sink sink) : _sink(std::move(sink)), _thread([this] { run(); }) {}

RecordWriter::~RecordWriter()
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _stop = true;
    }
    _wake.notify_one();
    _thread.join();
}

void RecordWriter::submit(Job job)
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _jobs.push_back(std::move(job));
    }
    _wake.notify_one();
}

void RecordWriter::flush()
{
    std::unique_lock<std::mutex> lock(_mutex);
    _done.wait(lock, [this] { return _jobs.empty() && !_writing; });
}

void RecordWriter::run()
{
    std::unique_lock<std::mutex> lock(_mutex);
    for (;;) {
        _wake.wait(lock, [this] { return _stop || !_jobs.empty(); });
        if (_jobs.empty()) {
            return;  // stopping, and nothing left to write
        }
        Job job = std::move(_jobs.front());
        _jobs.pop_front();
        _writing = true;
        lock.unlock();
        _sink(job());
        lock.lock();
        _writing = false;
        if (_jobs.empty()) {
            _done.notify_all();
        }
    }
}

}  // namespace trunkgw::pstnsim
