// Integration tests: the real rlvr-rollout binary on a free loopback port, a tiny random MoE.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/checksum.h"
#include "core/tokenizer.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kernels/backend.h"
#include "model/model.h"
#include "rlvr/v1/rollout.grpc.pb.h"
#include "tests/rollout/rollout_test_support.h"

namespace rlvr {
namespace {

using ::rlvr::testing::RolloutProcess;

constexpr int kVocab = 96;
constexpr int kContext = 256;

std::vector<int32_t> Prompt(int len, int salt) {
  std::vector<int32_t> t(len);
  for (int i = 0; i < len; ++i) t[i] = (i * 11 + salt * 5 + 3) % kVocab;
  return t;
}

class RolloutServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    ASSERT_FALSE(dir_.empty());
    absl::StatusOr<Model> model = testing::TinyMoe(11);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *std::move(model);
    ASSERT_TRUE(SaveModel(model_, dir_).ok());
  }

  void StartServer(const std::string& extra_config = "") {
    const std::string config = dir_ + "/rollout.textproto";
    std::ofstream(config) << "listen_address: \"127.0.0.1:0\"\n"
                          << "model { path: \"" << dir_ << "\" backend: \"cpu\" num_threads: 1 }\n"
                          << "kv_block_size: 8\nkv_blocks: 400\nmax_running_sequences: 64\n"
                          << extra_config;
    ASSERT_TRUE(server_.Start(config).ok());
    channel_ = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
    stub_ = v1::Rollout::NewStub(channel_);
  }

  v1::GenerateRequest Request(std::vector<int> prompt_lens, int n, double temperature,
                              int max_new_tokens, uint64_t seed) {
    v1::GenerateRequest req;
    for (size_t p = 0; p < prompt_lens.size(); ++p) {
      v1::Prompt* prompt = req.add_prompts();
      prompt->set_id(absl::StrCat("p", p));
      for (int32_t t : Prompt(prompt_lens[p], static_cast<int>(p + seed))) {
        prompt->add_token_ids(t);
      }
    }
    req.set_n(n);
    req.mutable_sampling()->set_temperature(temperature);
    req.mutable_sampling()->set_max_new_tokens(max_new_tokens);
    req.mutable_sampling()->set_seed(seed);
    return req;
  }

  // Runs Generate to the end; completions in arrival order.
  grpc::Status Generate(const v1::GenerateRequest& req, std::vector<v1::Completion>* out) {
    grpc::ClientContext ctx;
    auto reader = stub_->Generate(&ctx, req);
    v1::GenerateResponse resp;
    while (reader->Read(&resp)) {
      for (const v1::Completion& c : resp.completions()) out->push_back(c);
    }
    return reader->Finish();
  }

  v1::RolloutStats Stats() {
    grpc::ClientContext ctx;
    v1::RolloutStats stats;
    EXPECT_TRUE(stub_->GetStats(&ctx, v1::GetStatsRequest(), &stats).ok());
    return stats;
  }

  // Polls GetStats until `done` holds (or 60 s pass, failing the test).
  template <typename Pred>
  bool WaitForStats(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done(Stats())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "condition on GetStats never held";
    return false;
  }

  // Training-forward logprobs of a completion under `weights`; max gap to the returned ones.
  double LogprobGap(const ModelWeights& weights, const v1::GenerateRequest& req,
                    const v1::Completion& c) {
    Model m{model_.config, weights};
    int prompt_index = -1;
    for (int p = 0; p < req.prompts_size(); ++p) {
      if (req.prompts(p).id() == c.prompt_id()) prompt_index = p;
    }
    EXPECT_GE(prompt_index, 0);
    PackedBatch batch;
    batch.tokens.assign(req.prompts(prompt_index).token_ids().begin(),
                        req.prompts(prompt_index).token_ids().end());
    const size_t prompt_len = batch.tokens.size();
    batch.tokens.insert(batch.tokens.end(), c.token_ids().begin(), c.token_ids().end());
    batch.cu_seqlens = {0, static_cast<int32_t>(batch.tokens.size())};
    auto backend = MakeCpuBackend(1);
    absl::StatusOr<ForwardResult> fwd = Forward(m, *backend, batch, {}, nullptr);
    EXPECT_TRUE(fwd.ok()) << fwd.status();
    double gap = 0;
    for (int i = 0; i < c.token_ids_size(); ++i) {
      gap = std::max(gap,
                     std::abs(static_cast<double>(c.logprobs(i)) - fwd->logprobs[prompt_len + i]));
    }
    return gap;
  }

  // Streams every parameter of `weights` as version `version`, in chunks of chunk_bytes.
  // `corrupt` flips one byte of the named tensor after its checksum was computed.
  grpc::Status PushWeights(const ModelWeights& weights, int64_t version,
                           const std::string& corrupt = "", const std::string& wrong_shape = "") {
    constexpr size_t kChunkBytes = 1000;
    grpc::ClientContext ctx;
    v1::UpdateAck ack;
    auto writer = stub_->UpdateWeights(&ctx, &ack);
    bool ok = true;
    weights.ForEachParameter([&](const std::string& name, const Tensor& t) {
      if (!ok) return;
      std::string bytes(reinterpret_cast<const char*>(t.data.data()), t.data.size() * 4);
      const uint32_t crc = Crc32c(bytes.data(), bytes.size());
      if (name == corrupt) bytes[bytes.size() / 2] ^= 0x10;
      for (size_t off = 0; off < bytes.size() && ok; off += kChunkBytes) {
        v1::WeightChunk chunk;
        chunk.set_version(version);
        chunk.set_tensor_name(name);
        chunk.set_offset(off);
        if (off == 0) {
          for (int64_t d : t.shape) chunk.add_shape(d);
          if (name == wrong_shape) chunk.set_shape(0, t.shape[0] + 1);
          chunk.set_dtype("F32");
          chunk.set_total_bytes(bytes.size());
          chunk.set_checksum(crc);
        }
        chunk.set_data(bytes.substr(off, kChunkBytes));
        ok = writer->Write(chunk);
      }
    });
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (status.ok()) {
      EXPECT_EQ(ack.version(), version);
    }
    return status;
  }

  std::string dir_;
  Model model_;
  RolloutProcess server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Rollout::Stub> stub_;
};

TEST_F(RolloutServiceTest, HealthServiceReportsServing) {
  StartServer();
  grpc::GenericStub generic(channel_);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  // HealthCheckRequest{service: ""} (field 1, length 0): the whole server.
  grpc::Slice request_bytes(std::string("\x0a\x00", 2));
  grpc::ByteBuffer request(&request_bytes, 1), response;
  auto call = generic.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(cq.Next(&tag, &ok));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status: SERVING (1)} is field 1, varint 1.
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST_F(RolloutServiceTest, ConcurrentClientsWithMixedSamplingMatchTrainingForward) {
  StartServer();
  struct Job {
    v1::GenerateRequest req;
    std::vector<v1::Completion> got;
    grpc::Status status;
  };
  std::vector<Job> jobs(8);
  for (int j = 0; j < 8; ++j) {
    jobs[j].req = Request({3 + j, 10}, 1 + j % 3, j % 4 == 0 ? 0.0 : 0.6 + 0.1 * j, 12 + j, j);
    v1::SamplingConfig* s = jobs[j].req.mutable_sampling();
    if (j % 4 == 1) s->set_top_k(5);
    if (j % 4 == 2) s->set_top_p(0.8);
    if (j % 4 == 3) s->set_min_p(0.1);
    if (j == 5) s->add_stop_token_ids(7);
  }
  std::vector<std::thread> clients;
  for (Job& job : jobs) {
    clients.emplace_back([&job, this] { job.status = Generate(job.req, &job.got); });
  }
  for (std::thread& t : clients) t.join();
  for (const Job& job : jobs) {
    ASSERT_TRUE(job.status.ok()) << job.status.error_message();
    ASSERT_EQ(job.got.size(), static_cast<size_t>(job.req.prompts_size() * job.req.n()));
    for (const v1::Completion& c : job.got) {
      EXPECT_EQ(c.weight_version(), 0);
      EXPECT_EQ(c.token_ids_size(), c.logprobs_size());
      EXPECT_LE(c.token_ids_size(), job.req.sampling().max_new_tokens());
      EXPECT_TRUE(c.finish_reason() == v1::LENGTH || c.finish_reason() == v1::STOP);
      EXPECT_LE(LogprobGap(model_.weights, job.req, c), 1e-5);
    }
  }
  // The same requests one at a time give the same tokens.
  for (const Job& job : jobs) {
    std::vector<v1::Completion> alone;
    ASSERT_TRUE(Generate(job.req, &alone).ok());
    auto key = [](const v1::Completion& c) {
      return std::make_pair(c.prompt_id(), c.sample_index());
    };
    std::map<std::pair<std::string, int>, std::vector<int32_t>> a, b;
    for (const auto& c : alone) a[key(c)].assign(c.token_ids().begin(), c.token_ids().end());
    for (const auto& c : job.got) b[key(c)].assign(c.token_ids().begin(), c.token_ids().end());
    EXPECT_EQ(a, b);
  }
  EXPECT_EQ(Stats().kv_blocks_used(), 0);
}

TEST_F(RolloutServiceTest, InvalidRequestsGetInvalidArgument) {
  StartServer();
  auto expect_invalid = [&](v1::GenerateRequest req, const std::string& fragment) {
    std::vector<v1::Completion> got;
    grpc::Status s = Generate(req, &got);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << fragment;
    EXPECT_NE(s.error_message().find(fragment), std::string::npos) << s.error_message();
    EXPECT_TRUE(got.empty());
  };
  const v1::GenerateRequest ok = Request({4}, 1, 1.0, 5, 1);
  v1::GenerateRequest r = ok;
  r.set_n(0);
  expect_invalid(r, "n (samples per prompt)");
  r = ok;
  r.mutable_prompts(0)->clear_token_ids();
  expect_invalid(r, "is empty");
  r = ok;
  r.mutable_prompts(0)->set_token_ids(0, kVocab);
  expect_invalid(r, "outside the vocabulary");
  r = ok;
  r.mutable_sampling()->set_temperature(-1);
  expect_invalid(r, "temperature");
  r = ok;
  r.mutable_sampling()->set_top_p(1.5);
  expect_invalid(r, "top_p");
  r = ok;
  r.mutable_sampling()->set_top_p(-0.1);
  expect_invalid(r, "top_p");
  r = ok;
  r.mutable_sampling()->set_max_new_tokens(kContext);
  expect_invalid(r, "exceed the context");
  r = ok;
  for (int i = 0; i < kContext; ++i) r.mutable_prompts(0)->add_token_ids(1);
  expect_invalid(r, "at least one must be left");
  r = ok;
  r.mutable_prompts(0)->clear_token_ids();
  r.mutable_prompts(0)->set_text("hello");
  expect_invalid(r, "no tokenizer");
}

TEST_F(RolloutServiceTest, CancellationFreesKvBlocks) {
  StartServer();
  grpc::ClientContext ctx;
  // 256 samples of up to 200 tokens, at most 64 running: many decode steps to cancel during.
  auto reader = stub_->Generate(&ctx, Request(std::vector<int>(32, 20), 8, 1.0, 200, 3));
  ASSERT_TRUE(WaitForStats([](const v1::RolloutStats& s) { return s.running_sequences() > 0; }));
  EXPECT_GT(Stats().kv_blocks_used(), 0);
  ctx.TryCancel();
  v1::GenerateResponse resp;
  while (reader->Read(&resp)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitForStats([](const v1::RolloutStats& s) {
    return s.kv_blocks_used() == 0 && s.running_sequences() == 0 && s.waiting_sequences() == 0;
  }));
  // The worker still serves.
  std::vector<v1::Completion> got;
  EXPECT_TRUE(Generate(Request({4}, 2, 1.0, 5, 1), &got).ok());
  EXPECT_EQ(got.size(), 2u);
}

TEST_F(RolloutServiceTest, WeightUpdateDuringGenerationNeverMixesVersions) {
  StartServer();
  const ModelWeights new_weights = RandomWeights(model_.config, 99, 0.2f);
  std::vector<v1::GenerateRequest> reqs;
  // 4 x 64 samples of up to 150 tokens, at most 64 running: still generating when the update
  // arrives.
  for (int j = 0; j < 4; ++j) {
    reqs.push_back(Request(std::vector<int>(8, 6 + j), 8, 1.0, 150, 10 + j));
  }
  std::vector<std::vector<v1::Completion>> got(reqs.size());
  std::vector<std::thread> clients;
  for (size_t j = 0; j < reqs.size(); ++j) {
    clients.emplace_back([&, j] { EXPECT_TRUE(Generate(reqs[j], &got[j]).ok()); });
  }
  EXPECT_TRUE(WaitForStats([](const v1::RolloutStats& s) { return s.running_sequences() > 0; }));
  EXPECT_TRUE(PushWeights(new_weights, 1).ok());
  EXPECT_EQ(Stats().weight_version(), 1);
  // A request after the ack runs on the new weights.
  std::vector<v1::Completion> after;
  const v1::GenerateRequest after_req = Request({5}, 2, 1.0, 10, 50);
  EXPECT_TRUE(Generate(after_req, &after).ok());
  for (const v1::Completion& c : after) {
    EXPECT_EQ(c.weight_version(), 1);
    EXPECT_LE(LogprobGap(new_weights, after_req, c), 1e-5);
  }
  for (std::thread& t : clients) t.join();
  int old_version = 0;
  for (size_t j = 0; j < reqs.size(); ++j) {
    ASSERT_EQ(got[j].size(), 64u);
    for (const v1::Completion& c : got[j]) {
      // Every token of a completion comes from the weights of the version it reports.
      ASSERT_TRUE(c.weight_version() == 0 || c.weight_version() == 1);
      const ModelWeights& w = c.weight_version() == 0 ? model_.weights : new_weights;
      EXPECT_LE(LogprobGap(w, reqs[j], c), 1e-5) << "version " << c.weight_version();
      old_version += c.weight_version() == 0;
    }
  }
  EXPECT_GT(old_version, 0);  // in-flight sequences finished on the old weights
}

TEST_F(RolloutServiceTest, AbortingUpdateRestartsInFlightOnNewVersion) {
  StartServer("abort_in_flight_on_update: true\n");
  const ModelWeights new_weights = RandomWeights(model_.config, 98, 0.2f);
  const v1::GenerateRequest req = Request(std::vector<int>(32, 8), 8, 1.0, 150, 4);
  std::vector<v1::Completion> got;
  std::thread client([&] { EXPECT_TRUE(Generate(req, &got).ok()); });
  EXPECT_TRUE(WaitForStats([](const v1::RolloutStats& s) { return s.running_sequences() > 0; }));
  EXPECT_TRUE(PushWeights(new_weights, 7).ok());
  client.join();
  ASSERT_EQ(got.size(), 256u);
  int new_version = 0;
  for (const v1::Completion& c : got) {
    ASSERT_TRUE(c.weight_version() == 0 || c.weight_version() == 7);
    const ModelWeights& w = c.weight_version() == 0 ? model_.weights : new_weights;
    EXPECT_LE(LogprobGap(w, req, c), 1e-5);
    new_version += c.weight_version() == 7;
  }
  // The sequences running at the update restarted on the new weights.
  EXPECT_GT(new_version, 0);
}

TEST_F(RolloutServiceTest, CorruptOrMisshapenUpdateIsRejectedAndOldWeightsKeepServing) {
  StartServer();
  const ModelWeights new_weights = RandomWeights(model_.config, 97, 0.2f);
  grpc::Status corrupt = PushWeights(new_weights, 1, "model.layers.1.mlp.experts.3.up_proj.weight");
  EXPECT_EQ(corrupt.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(corrupt.error_message().find("CRC32C"), std::string::npos) << corrupt.error_message();
  grpc::Status shape = PushWeights(new_weights, 1, "", "model.layers.0.self_attn.k_proj.weight");
  EXPECT_EQ(shape.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(shape.error_message().find("shape"), std::string::npos) << shape.error_message();
  EXPECT_EQ(Stats().weight_version(), 0);
  const v1::GenerateRequest req = Request({6}, 2, 1.0, 10, 2);
  std::vector<v1::Completion> got;
  ASSERT_TRUE(Generate(req, &got).ok());
  for (const v1::Completion& c : got) {
    EXPECT_EQ(c.weight_version(), 0);
    EXPECT_LE(LogprobGap(model_.weights, req, c), 1e-5);
  }
  // A stale version is refused too; a good update then goes through.
  EXPECT_EQ(PushWeights(new_weights, 0).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(PushWeights(new_weights, 2).ok());
  EXPECT_EQ(Stats().weight_version(), 2);
}

TEST_F(RolloutServiceTest, SigtermDrainsRunningRequests) {
  StartServer();
  const v1::GenerateRequest req = Request(std::vector<int>(16, 6), 8, 1.0, 100, 8);
  std::vector<v1::Completion> got;
  grpc::Status status;
  std::thread client([&] { status = Generate(req, &got); });
  EXPECT_TRUE(WaitForStats([](const v1::RolloutStats& s) { return s.running_sequences() > 0; }));
  const int exit_status = server_.Terminate();
  client.join();
  EXPECT_TRUE(WIFEXITED(exit_status));
  EXPECT_EQ(WEXITSTATUS(exit_status), 0);
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.size(), 128u);
  for (const v1::Completion& c : got) EXPECT_NE(c.finish_reason(), v1::ABORTED);
}

TEST_F(RolloutServiceTest, TextPromptsStopStringsAndCompletionText) {
  const std::string tokenizer_path =
      std::string(RLVR_SOURCE_DIR) + "/tests/core/fixtures/tokenizer/char_tokenizer.json";
  StartServer("tokenizer { path: \"" + tokenizer_path + "\" }\n");
  auto tokenizer = Tokenizer::FromFile(tokenizer_path);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  v1::GenerateRequest req;
  req.add_prompts()->set_text("The answer is");
  req.mutable_prompts(0)->set_id("q");
  req.set_n(16);
  req.mutable_sampling()->set_temperature(1.0);
  req.mutable_sampling()->set_max_new_tokens(40);
  req.mutable_sampling()->add_stop_strings("e");
  req.mutable_sampling()->add_stop_strings("a1");
  std::vector<v1::Completion> got;
  ASSERT_TRUE(Generate(req, &got).ok());
  ASSERT_EQ(got.size(), 16u);
  int stopped = 0;
  for (const v1::Completion& c : got) {
    const std::vector<int32_t> ids(c.token_ids().begin(), c.token_ids().end());
    EXPECT_EQ(c.text(), (*tokenizer)->DecodeBytes(ids));
    const bool has_stop =
        c.text().find("e") != std::string::npos || c.text().find("a1") != std::string::npos;
    if (c.finish_reason() == v1::STOP) {
      ++stopped;
      EXPECT_TRUE(has_stop) << c.text();
      // The stop string appeared with the last token, not before.
      const std::string before =
          (*tokenizer)->DecodeBytes(absl::MakeConstSpan(ids.data(), ids.size() - 1));
      EXPECT_EQ(before.find("e"), std::string::npos) << before;
      EXPECT_EQ(before.find("a1"), std::string::npos) << before;
    } else {
      EXPECT_EQ(c.finish_reason(), v1::LENGTH);
      EXPECT_FALSE(has_stop) << c.text();
      EXPECT_EQ(c.token_ids_size(), 40);
    }
  }
  EXPECT_GT(stopped, 0);
}

}  // namespace
}  // namespace rlvr
