#include "trainer/grpc_clients.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "rlvr/v1/rollout.grpc.pb.h"
#include "rlvr/v1/sandbox.grpc.pb.h"

namespace rlvr {
namespace {

void SetDeadline(grpc::ClientContext* ctx, int64_t ms) {
  if (ms > 0) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
}

class GrpcRolloutWorker : public RolloutWorker {
 public:
  GrpcRolloutWorker(std::string address, GrpcDeadlines deadlines)
      : address_(std::move(address)),
        deadlines_(deadlines),
        stub_(rlvr::v1::Rollout::NewStub(MakeChannel(address_))) {}

  std::string name() const override { return address_; }

  absl::StatusOr<std::vector<rlvr::v1::Completion>> Generate(
      const rlvr::v1::GenerateRequest& request) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, deadlines_.generate_ms);
    std::unique_ptr<grpc::ClientReader<rlvr::v1::GenerateResponse>> reader =
        stub_->Generate(&ctx, request);
    std::vector<rlvr::v1::Completion> out;
    rlvr::v1::GenerateResponse resp;
    while (reader->Read(&resp)) {
      for (rlvr::v1::Completion& c : *resp.mutable_completions()) out.push_back(std::move(c));
    }
    grpc::Status s = reader->Finish();
    if (!s.ok()) {
      absl::Status a = FromGrpcStatus(s);
      return absl::Status(a.code(), absl::StrFormat("rollout worker %s: Generate: %s", address_,
                                                    std::string(a.message())));
    }
    return out;
  }

  absl::Status UpdateWeights(const std::vector<rlvr::v1::WeightChunk>& chunks) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, deadlines_.weights_ms);
    rlvr::v1::UpdateAck ack;
    std::unique_ptr<grpc::ClientWriter<rlvr::v1::WeightChunk>> writer =
        stub_->UpdateWeights(&ctx, &ack);
    for (const rlvr::v1::WeightChunk& c : chunks) {
      if (!writer->Write(c)) break;  // the server ended the call; Finish() says why
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    if (!s.ok()) {
      absl::Status a = FromGrpcStatus(s);
      return absl::Status(a.code(), absl::StrFormat("rollout worker %s: UpdateWeights: %s",
                                                    address_, std::string(a.message())));
    }
    if (!chunks.empty() && ack.version() != chunks.front().version()) {
      return absl::InternalError(
          absl::StrFormat("rollout worker %s acknowledged version %d, expected %d", address_,
                          ack.version(), chunks.front().version()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> WeightVersion() override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, deadlines_.stats_ms);
    rlvr::v1::RolloutStats stats;
    grpc::Status s = stub_->GetStats(&ctx, rlvr::v1::GetStatsRequest(), &stats);
    if (!s.ok()) return FromGrpcStatus(s);
    return stats.weight_version();
  }

 private:
  std::string address_;
  GrpcDeadlines deadlines_;
  std::unique_ptr<rlvr::v1::Rollout::Stub> stub_;
};

class GrpcVerifyClient : public VerifyClient {
 public:
  GrpcVerifyClient(std::string address, GrpcDeadlines deadlines)
      : address_(std::move(address)),
        deadlines_(deadlines),
        stub_(rlvr::v1::Sandbox::NewStub(MakeChannel(address_))) {}

  std::string name() const override { return address_; }

  absl::StatusOr<rlvr::v1::VerifyResponse> Verify(const rlvr::v1::VerifyRequest& request) override {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, deadlines_.verify_ms);
    rlvr::v1::VerifyResponse resp;
    grpc::Status s = stub_->Verify(&ctx, request, &resp);
    if (!s.ok()) return FromGrpcStatus(s);
    return resp;
  }

 private:
  std::string address_;
  GrpcDeadlines deadlines_;
  std::unique_ptr<rlvr::v1::Sandbox::Stub> stub_;
};

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxGrpcMessageBytes);
  args.SetMaxSendMessageSize(kMaxGrpcMessageBytes);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<RolloutWorker> NewGrpcRolloutWorker(const std::string& address,
                                                    GrpcDeadlines deadlines) {
  return std::make_unique<GrpcRolloutWorker>(address, deadlines);
}

std::unique_ptr<VerifyClient> NewGrpcVerifyClient(const std::string& address,
                                                  GrpcDeadlines deadlines) {
  return std::make_unique<GrpcVerifyClient>(address, deadlines);
}

}  // namespace rlvr
