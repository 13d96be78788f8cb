// The test binary's main: the sandbox re-executes it as its zygote.
#include "gtest/gtest.h"
#include "sandbox/zygote.h"

int main(int argc, char** argv) {
  rlvr::sandbox::RunZygoteIfRequested(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
