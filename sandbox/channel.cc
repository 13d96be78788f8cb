#include "sandbox/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace rlvr::sandbox {
namespace {

constexpr int kMaxFds = 16;

absl::Status ErrnoStatus(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

absl::Status MakeSocketPair(UniqueFd* a, UniqueFd* b) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoStatus("socketpair");
  }
  a->reset(sv[0]);
  b->reset(sv[1]);
  return absl::OkStatus();
}

absl::Status MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe2");
  read_end->reset(p[0]);
  write_end->reset(p[1]);
  return absl::OkStatus();
}

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

absl::Status MakeMemfd(const std::string& content, UniqueFd* out) {
  UniqueFd fd(memfd_create("rlvr-data", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoStatus("memfd_create");
  if (!WriteAll(fd.get(), content.data(), content.size())) return ErrnoStatus("write memfd");
  if (lseek(fd.get(), 0, SEEK_SET) != 0) return ErrnoStatus("lseek memfd");
  fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  *out = std::move(fd);
  return absl::OkStatus();
}

absl::Status SendMessage(int socket, const google::protobuf::MessageLite& message,
                         const std::vector<int>& fds) {
  if (fds.size() + 1 > static_cast<size_t>(kMaxFds)) {
    return absl::InvalidArgumentError("too many fds in one message");
  }
  std::string payload;
  if (!message.SerializeToString(&payload)) return absl::InternalError("serialize failed");
  UniqueFd memfd;
  if (absl::Status s = MakeMemfd(payload, &memfd); !s.ok()) return s;

  std::vector<int> all = {memfd.get()};
  all.insert(all.end(), fds.begin(), fds.end());
  char byte = 'm';
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  memset(control, 0, sizeof(control));
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * all.size());
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * all.size());
  memcpy(CMSG_DATA(cmsg), all.data(), sizeof(int) * all.size());
  while (true) {
    ssize_t n = sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (n == 1) return absl::OkStatus();
    if (n < 0 && errno == EINTR) continue;
    return ErrnoStatus("sendmsg");
  }
}

absl::Status ReceiveMessage(int socket, google::protobuf::MessageLite* message,
                            std::vector<UniqueFd>* fds) {
  fds->clear();
  char byte;
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus("recvmsg");
  std::vector<UniqueFd> received;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      received.emplace_back(fd);
    }
  }
  if (n == 0) return absl::NotFoundError("peer closed the channel");
  if ((msg.msg_flags & MSG_CTRUNC) != 0) return absl::InternalError("fds truncated");
  if (received.empty()) return absl::InternalError("message without payload fd");
  struct stat st;
  if (fstat(received[0].get(), &st) != 0) return ErrnoStatus("fstat payload");
  std::string payload(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < payload.size()) {
    ssize_t r = pread(received[0].get(), payload.data() + done, payload.size() - done,
                      static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return ErrnoStatus("read payload");
    done += static_cast<size_t>(r);
  }
  if (!message->ParseFromString(payload)) return absl::InternalError("malformed message");
  for (size_t i = 1; i < received.size(); ++i) fds->push_back(std::move(received[i]));
  return absl::OkStatus();
}

}  // namespace rlvr::sandbox
