#include "initial_data.h"

#include <utility>
#include <vector>

#include "syncd/wire/initial_data_load.h"
#include "syncd/wire/ws_messages.h"

namespace syncd::ws {

namespace {

ReadAnswer ReadFailed() {
  return OneMessage(wire::ErrorJson(
      "internal_error", std::string("could not read entities: ") + pipeline::kDatabaseUnavailable));
}

// One read of the store, written as it streams (wire::InitialLoadWriter).
// An incremental read (since >= 0) counts from a position of `epoch`: when
// the snapshot it read is of another epoch (a tenant reset or delete, then a
// write, came after ReadInitialData checked the cursor), rows "after since"
// mean nothing, and the answer is built again as a full load.
LoadCache::Built Build(const FrameServices& services, const std::string& tenant, int64_t since,
                       int64_t epoch, int page_size) {
  wire::LoadHeader header;
  header.tenant_id = tenant;
  header.full = since == db::ReadStore::kFullLoad;
  header.server_timestamp_ms = services.clock->NowMs();
  header.page_size = page_size;
  wire::InitialLoadWriter writer(std::move(header));
  db::ChangePosition at;
  bool cursor_set = false;
  common::Status s = services.reads->ReadLoad(tenant, since, &at, [&](const db::LoadRow& row) {
    if (!cursor_set) {
      writer.SetCursor(wire::EncodeCursor(tenant, at));
      cursor_set = true;
    }
    writer.Add(row);
  });
  if (!s.ok()) return LoadCache::Built{ReadFailed(), /*keep=*/false};
  if (since != db::ReadStore::kFullLoad && at.epoch != epoch) {
    return Build(services, tenant, db::ReadStore::kFullLoad, epoch, page_size);
  }
  if (!cursor_set) writer.SetCursor(wire::EncodeCursor(tenant, at));
  return LoadCache::Built{std::make_shared<const std::vector<std::string>>(writer.Finish()),
                          /*keep=*/true};
}

}  // namespace

ReadAnswer ReadInitialData(const FrameServices& services, const std::string& tenant,
                           const std::optional<std::string>& since, int page_size) {
  db::ChangePosition now;
  if (!services.reads->GetChangePosition(tenant, &now).ok()) return ReadFailed();
  // Usable: ours, this tenant's, this epoch, not ahead of the tenant (a
  // database restored from an older copy). Deletions are kept as long as the
  // entities table keeps tombstones, which is for ever (docs/design.md), so
  // no position of this epoch is too old. A cursor of epoch 0 (read before
  // the tenant's first write) stays usable until that write draws the epoch.
  int64_t since_seq = db::ReadStore::kFullLoad;
  if (since) {
    std::optional<db::ChangePosition> from = wire::DecodeCursor(tenant, *since);
    if (from && from->epoch == now.epoch && from->seq <= now.seq) since_seq = from->seq;
  }
  auto build = [&] { return Build(services, tenant, since_seq, now.epoch, page_size); };
  if (services.loads == nullptr) return build().pages;
  LoadCache::Key key;
  key.tenant = tenant;
  key.epoch = now.epoch;
  key.seq = now.seq;
  key.since = since_seq;
  key.page_size = page_size;
  return services.loads->Get(key, services.clock->NowMs(), build);
}

}  // namespace syncd::ws
