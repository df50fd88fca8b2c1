// Pipeline's public face: each call goes to the worker's step that owns it.
#include "syncd/pipeline/pipeline.h"

#include <utility>

#include "worker.h"

namespace syncd::pipeline {

Pipeline::Pipeline(std::unique_ptr<db::WriteStore> store, PipelineOptions options,
                   const common::Clock* clock)
    : worker_(std::make_unique<Worker>(std::move(store), options, clock)) {}

Pipeline::~Pipeline() { worker_->Stop(0); }

void Pipeline::AddSink(ResultSink* sink) { worker_->AddSink(sink); }
common::Status Pipeline::Start() { return worker_->Start(); }
void Pipeline::Stop(int64_t deadline_ms) { worker_->Stop(deadline_ms); }
SubmitOutcome Pipeline::Submit(domain::SyncEntry entry, int64_t received_us) {
  worker_->metrics().RecordReceived(1);
  return worker_->inbox().Submit(std::move(entry), received_us);
}
SubmitOutcome Pipeline::SubmitRefused(const std::string& tenant_id, domain::EntryError error,
                                      int64_t received_us) {
  worker_->metrics().RecordReceived(1);
  return worker_->inbox().SubmitRefused(tenant_id, std::move(error), received_us);
}
void Pipeline::CountRejected(const std::string& tenant_id) {
  // Like totals.received, the receive rate counts refused entries too.
  worker_->metrics().RecordReceived(1);
  worker_->inbox().CountRejected(tenant_id);
}
int64_t Pipeline::RetryAfterMs() const { return worker_->inbox().RetryAfterMs(); }
std::future<OperatorResult> Pipeline::Operate(const std::string& tenant_id,
                                              const std::string& entry_id, OperatorAction action,
                                              const std::string& detail) {
  OperatorRequest request;
  request.tenant_id = tenant_id;
  request.entry_id = entry_id;
  request.detail = detail;
  request.action = action;
  std::future<OperatorResult> future = request.promise.get_future();
  worker_->inbox().AddOperatorRequest(std::move(request));
  return future;
}
QueueCounts Pipeline::GlobalCounts() const { return worker_->counters().Counts(""); }
std::future<OperatorResult> Pipeline::PurgeTenant(const std::string& tenant_id,
                                                  bool remove_tenant) {
  OperatorRequest request;
  request.tenant_id = tenant_id;
  request.tenant_purge = true;
  request.remove_tenant = remove_tenant;
  std::future<OperatorResult> future = request.promise.get_future();
  worker_->inbox().AddOperatorRequest(std::move(request));
  return future;
}

QueueCounts Pipeline::TenantCounts(const std::string& tenant_id) const {
  return worker_->counters().Counts(tenant_id);
}
int64_t Pipeline::TenantCount() const { return worker_->counters().TenantCount(); }
int64_t Pipeline::OldestUnfinishedReceivedMs() const { return worker_->OldestUnfinishedMs(); }
Health Pipeline::health() const { return worker_->health(); }
Metrics& Pipeline::metrics() { return worker_->metrics(); }
common::Status Pipeline::RecoverForTest() { return worker_->Recover(); }
bool Pipeline::RunOnceForTest() { return worker_->RunOnce(); }

}  // namespace syncd::pipeline
