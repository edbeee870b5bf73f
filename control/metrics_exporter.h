// Prometheus exposition for the control process. Series are built at scrape
// time from the one status snapshot, so the exporter never holds a second
// copy of any counter (STYLE.md practice 10: workers count, control serves).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <prometheus/collectable.h>

#include "control/status.h"

namespace prometheus {
class Exposer;
}

namespace trunkgw::control {

class SnapshotCollectable : public prometheus::Collectable {
public:
    explicit SnapshotCollectable(std::function<Snapshot()> snapshot) : _snapshot(std::move(snapshot)) {}
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    std::function<Snapshot()> _snapshot;
};

// Renders a snapshot as metric families (exposed for tests).
std::vector<prometheus::MetricFamily> snapshot_families(const Snapshot& s);

class MetricsExporter {
public:
    // Listens on host:port; throws std::runtime_error with a clear reason
    // (e.g. the port is taken).
    MetricsExporter(const std::string& host, uint16_t port, std::function<Snapshot()> snapshot);
    ~MetricsExporter();

private:
    std::shared_ptr<SnapshotCollectable> _collectable;
    std::unique_ptr<prometheus::Exposer> _exposer;
};

}  // namespace trunkgw::control
