#include "launch/stop_signal.hpp"

#include <csignal>

namespace slatetrain {

namespace {

volatile std::sig_atomic_t received_signal = 0;

extern "C" void on_stop_signal(int signal_number) {
  received_signal = signal_number;
}

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads and MPI progress continue after the signal
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
}

bool stop_signal_received() {
  return received_signal != 0;
}

int stop_signal_number() {
  return static_cast<int>(received_signal);
}

}  // namespace slatetrain
