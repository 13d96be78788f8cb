// Messages with file descriptors over a unix SOCK_SEQPACKET socket. The serialized message
// travels in a sealed memfd, so its size is not bounded by the socket buffer.
#ifndef RLVR_SANDBOX_CHANNEL_H_
#define RLVR_SANDBOX_CHANNEL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message_lite.h"

namespace rlvr::sandbox {

// An owned file descriptor; closes on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A connected SOCK_SEQPACKET pair, close-on-exec.
absl::Status MakeSocketPair(UniqueFd* a, UniqueFd* b);

// A pipe, close-on-exec on both ends.
absl::Status MakePipe(UniqueFd* read_end, UniqueFd* write_end);

// A memfd holding `content`, positioned at 0 (used as a program's stdin).
absl::Status MakeMemfd(const std::string& content, UniqueFd* out);

// Sends `message` and `fds` (borrowed; at most 16) as one datagram.
absl::Status SendMessage(int socket, const google::protobuf::MessageLite& message,
                         const std::vector<int>& fds);

// Receives one datagram sent by SendMessage. Returns NOT_FOUND when the peer has closed the
// socket. The received fds are close-on-exec.
absl::Status ReceiveMessage(int socket, google::protobuf::MessageLite* message,
                            std::vector<UniqueFd>* fds);

// write() of the whole buffer, retrying on EINTR and short writes.
bool WriteAll(int fd, const void* data, size_t size);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_CHANNEL_H_
