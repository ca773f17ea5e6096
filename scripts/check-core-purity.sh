#!/usr/bin/env bash
# Pattern code must go through the runtime interfaces: no wall clock, no thread sleeps, no
# unseeded randomness, no sockets, no simulator or backend headers. Exits 1 naming each offence.
set -euo pipefail
core=${1:-"$(dirname "$0")/../core"}
patterns=(
  'std::chrono::[a-z_]*_clock::now'
  'steady_clock' 'system_clock' 'high_resolution_clock'
  'this_thread::' '[^_a-z]sleep\(' 'usleep' 'nanosleep'
  '[^_a-z]rand\(' 'srand\(' 'random_device' 'std::mt19937' '_distribution<'
  '#include <sys/socket.h>' '#include <netinet/' '#include <arpa/inet.h>' 'boost/asio/ip/'
  'boost/asio/steady_timer' 'boost/asio/system_timer'
  '#include "faultline/sim/' '#include "faultline/backends/'
  'std::thread'
)
[[ -d "$core" ]] || { echo "no such directory: $core"; exit 2; }
status=0
for p in "${patterns[@]}"; do
  rc=0
  hits=$(grep -rnE --include='*.h' --include='*.cc' -e "$p" "$core") || rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "core/ must not use '$p':"
    echo "$hits"
    status=1
  elif [[ $rc -ne 1 ]]; then
    echo "grep failed on pattern '$p'"; exit 2
  fi
done
[ $status -eq 0 ] && echo "core/ is pure: no wall clock, sleeps, unseeded randomness or sockets"
exit $status
