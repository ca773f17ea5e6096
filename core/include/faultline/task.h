// Task<T>: the coroutine type every pattern is written in.
//
// Patterns are `boost::asio::awaitable<T>` coroutines. The production runtime runs them on an
// ordinary `asio::io_context`; the simulator runs the very same coroutines on its own
// single-threaded executor (sim::SimExecutor), whose sleeps advance on virtual time. Pattern code therefore never
// names an executor, a socket or a real timer: everything it waits on comes from an interface
// (Clock, LockStore, ...) that each world implements.
#pragma once

#include <boost/asio/awaitable.hpp>

namespace faultline {

template <class T>
using Task = boost::asio::awaitable<T>;

}  // namespace faultline
